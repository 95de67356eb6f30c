package redis_test

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/redis"
)

// How an instance wires the three adapters: frames are published to the local hub and
// to the bus; the bus delivers other instances' frames to the local hub; a lost
// subscription makes the clients reload.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.Default()
	const prefix, instance = "hummingbird", "hb-1"

	c, err := redis.Open(ctx, "127.0.0.1:6379", prefix+":"+instance)
	if err != nil {
		log.Error("redis", "err", err)
		return
	}
	defer c.Close() // after Run has returned

	hub := realtime.NewHub()
	bus, _ := redis.NewBus(c, redis.BusConfig{
		Prefix: prefix, Instance: instance, Log: log,
		OnResubscribe: func() { hub.Publish("ops", []byte(`{"type":"resync"}`)) },
	})
	done := make(chan error, 1)
	go func() { done <- bus.Run(ctx, hub.Publish) }()

	frame := []byte(`{"type":"status"}`)
	hub.Publish("track:ord_1", frame) // local subscribers
	if err := bus.Publish(ctx, "track:ord_1", frame); err != nil {
		log.Warn("bus publish", "err", err) // other instances miss this frame
	}

	where, _ := redis.NewPresence(c, redis.PresenceConfig{Prefix: prefix})
	_ = where.Put(ctx, presence.Entry{CourierID: "cou_1", Lat: 52.52, Lng: 13.40, At: time.Now(), Instance: instance, State: "idle"}, 30*time.Second)

	limit, _ := redis.NewLimiter(c, redis.LimiterConfig{Prefix: prefix, Limit: ratelimit.Config{Rate: 20, Burst: 40}})
	d, err := limit.Allow(ctx, "mer_1", time.Now())
	if errors.Is(err, ratelimit.ErrUnavailable) {
		log.Warn("rate limit not enforced", "err", err) // d.Allowed is true: fail open
	}
	_ = d

	cancel()
	<-done
}
