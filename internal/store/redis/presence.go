package redis

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
)

// readBatch is how many courier hashes All reads per pipeline round trip.
const readBatch = 512

// Fields of a courier's presence hash.
const (
	fieldLat      = "lat"
	fieldLng      = "lng"
	fieldAt       = "at"   // RFC 3339 with nanoseconds
	fieldInstance = "inst" // server instance
	fieldState    = "state"
	fieldExpires  = "exp" // microseconds since the epoch on the store's clock
)

// PresenceConfig configures a Presence.
type PresenceConfig struct {
	// Prefix starts every key (required).
	Prefix string
	// Now is the clock TTLs run on [time.Now]. Instances sharing a prefix must agree on
	// the time to well within the shortest TTL (NTP does).
	Now func() time.Time
}

// Presence is the presence.Store shared by every instance using the same prefix. Each
// courier is a hash, <prefix>:{presence}:c:<courier id>, expiring with its TTL (PX); the
// sorted set <prefix>:{presence}:exp scores every courier by its expiry. All trims the
// expired members from the set before reading it, so every read costs O(live couriers),
// never O(couriers ever seen). Expiry is judged on the store's clock against the expiry
// saved in the hash; Redis's own PX only collects the garbage. The {presence} hash tag
// keeps all of it in one Redis Cluster slot, so Put's transaction stays legal there.
// Create it with NewPresence.
type Presence struct {
	c     *goredis.Client
	now   func() time.Time
	hash  string // key prefix of the courier hashes
	index string // the sorted set
}

var _ presence.Store = (*Presence)(nil)

// NewPresence returns the Presence of cfg.Prefix on c; the error wraps ErrConfig.
func NewPresence(c *goredis.Client, cfg PresenceConfig) (*Presence, error) {
	p, err := keyPrefix(cfg.Prefix)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Presence{c: c, now: cfg.Now, hash: p + "{presence}:c:", index: p + "{presence}:exp"}, nil
}

// Put implements presence.Store: in one MULTI it replaces the courier's hash, sets its
// PX to ttl and moves its index score to its expiry.
func (s *Presence) Put(ctx context.Context, e presence.Entry, ttl time.Duration) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if err := presence.CheckTTL(ttl); err != nil {
		return err
	}
	exp := s.now().Add(ttl).UnixMicro()
	key := s.hash + e.CourierID
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HSet(ctx, key,
			fieldLat, strconv.FormatFloat(e.Lat, 'g', -1, 64),
			fieldLng, strconv.FormatFloat(e.Lng, 'g', -1, 64),
			fieldAt, e.At.Format(time.RFC3339Nano),
			fieldInstance, e.Instance,
			fieldState, e.State,
			fieldExpires, strconv.FormatInt(exp, 10))
		p.PExpire(ctx, key, ttl)
		p.ZAdd(ctx, s.index, goredis.Z{Score: float64(exp), Member: e.CourierID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: presence put %q: %w", e.CourierID, err)
	}
	return nil
}

// Get implements presence.Store.
func (s *Presence) Get(ctx context.Context, courierID string) (presence.Entry, error) {
	h, err := s.c.HGetAll(ctx, s.hash+courierID).Result()
	if err != nil {
		return presence.Entry{}, fmt.Errorf("redis: presence get %q: %w", courierID, err)
	}
	e, live, err := decodeEntry(courierID, h, s.now().UnixMicro())
	if err != nil {
		return presence.Entry{}, err
	}
	if !live {
		return presence.Entry{}, fmt.Errorf("%w: courier %q", presence.ErrNotFound, courierID)
	}
	return e, nil
}

// All implements presence.Store: it drops the expired members of the index, reads the
// live ones, then their hashes in pipelined batches.
func (s *Presence) All(ctx context.Context) ([]presence.Entry, error) {
	now := s.now().UnixMicro()
	nowArg := strconv.FormatInt(now, 10)
	var ids *goredis.StringSliceCmd
	_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.ZRemRangeByScore(ctx, s.index, "-inf", nowArg)
		ids = p.ZRangeByScore(ctx, s.index, &goredis.ZRangeBy{Min: "(" + nowArg, Max: "+inf"})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("redis: presence index: %w", err)
	}
	all := ids.Val()
	out := make([]presence.Entry, 0, len(all))
	for batch := range slices.Chunk(all, readBatch) {
		cmds := make([]*goredis.MapStringStringCmd, len(batch))
		_, err := s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, id := range batch {
				cmds[i] = p.HGetAll(ctx, s.hash+id)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("redis: presence read: %w", err)
		}
		for i, id := range batch {
			// A hash may have expired or been removed since the index was read.
			e, live, err := decodeEntry(id, cmds[i].Val(), now)
			if err != nil {
				return nil, err
			}
			if live {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b presence.Entry) int { return cmp.Compare(a.CourierID, b.CourierID) })
	return out, nil
}

// Remove implements presence.Store.
func (s *Presence) Remove(ctx context.Context, courierID string) error {
	_, err := s.c.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.Del(ctx, s.hash+courierID)
		p.ZRem(ctx, s.index, courierID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("redis: presence remove %q: %w", courierID, err)
	}
	return nil
}

// decodeEntry reads a courier's hash; live is false for an absent or expired one.
func decodeEntry(id string, h map[string]string, nowMicro int64) (e presence.Entry, live bool, err error) {
	if len(h) == 0 {
		return presence.Entry{}, false, nil
	}
	exp, err1 := strconv.ParseInt(h[fieldExpires], 10, 64)
	lat, err2 := strconv.ParseFloat(h[fieldLat], 64)
	lng, err3 := strconv.ParseFloat(h[fieldLng], 64)
	at, err4 := time.Parse(time.RFC3339Nano, h[fieldAt])
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return presence.Entry{}, false, fmt.Errorf("redis: presence hash of %q is corrupt: %w", id, err)
		}
	}
	e = presence.Entry{CourierID: id, Lat: lat, Lng: lng, At: at, Instance: h[fieldInstance], State: h[fieldState]}
	return e, exp > nowMicro, nil
}
