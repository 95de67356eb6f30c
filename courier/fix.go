package courier

import (
	"errors"
	"fmt"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

// GPS fix errors. A fix that fails is dropped; the courier's last good position stays.
var (
	ErrAccuracy   = errors.New("courier: fix accuracy worse than allowed")
	ErrSpeed      = errors.New("courier: fix implies an impossible speed")
	ErrFuture     = errors.New("courier: fix timestamp is in the future")
	ErrStale      = errors.New("courier: fix timestamp is too old")
	ErrOutOfOrder = errors.New("courier: fix is older than the last accepted fix")
)

// Fix is one GPS reading from a courier's phone.
type Fix struct {
	Pos geo.LatLng `json:"pos"`
	// Accuracy is the reported horizontal accuracy radius in metres (0 = unknown, accepted).
	Accuracy float64   `json:"accuracy"`
	At       time.Time `json:"at"`
}

// Filter decides whether a fix is plausible. The zero value uses the defaults below.
type Filter struct {
	// MaxAccuracy drops fixes with a larger accuracy radius; zero means 100 m.
	MaxAccuracy float64
	// MaxSpeed drops fixes implying a faster move from the previous fix, in m/s; zero
	// means 200 km/h.
	MaxSpeed float64
	// MaxFuture is the clock skew tolerated for timestamps ahead of now; zero means 30 s.
	MaxFuture time.Duration
	// MaxAge rejects fixes older than this; zero means 5 minutes.
	MaxAge time.Duration
}

// Check validates next against the previous accepted fix (nil if none) at time now.
func (f Filter) Check(prev *Fix, next Fix, now time.Time) error {
	maxAcc, maxSpeed, maxFuture, maxAge := f.MaxAccuracy, f.MaxSpeed, f.MaxFuture, f.MaxAge
	if maxAcc == 0 {
		maxAcc = 100
	}
	if maxSpeed == 0 {
		maxSpeed = 200 / 3.6
	}
	if maxFuture == 0 {
		maxFuture = 30 * time.Second
	}
	if maxAge == 0 {
		maxAge = 5 * time.Minute
	}
	if err := next.Pos.Validate(); err != nil {
		return err
	}
	if next.Accuracy < 0 || next.Accuracy > maxAcc || next.Accuracy != next.Accuracy {
		return fmt.Errorf("%w: %.0f m > %.0f m", ErrAccuracy, next.Accuracy, maxAcc)
	}
	if next.At.After(now.Add(maxFuture)) {
		return fmt.Errorf("%w: %s ahead", ErrFuture, next.At.Sub(now))
	}
	if next.At.Before(now.Add(-maxAge)) {
		return fmt.Errorf("%w: %s old", ErrStale, now.Sub(next.At))
	}
	if prev == nil {
		return nil
	}
	dt := next.At.Sub(prev.At).Seconds()
	if dt < 0 {
		return ErrOutOfOrder
	}
	d := geo.Distance(prev.Pos, next.Pos)
	// Allow the two accuracy radii as slack so jitter at standstill is not "speed".
	d -= prev.Accuracy + next.Accuracy
	if d <= 0 {
		return nil
	}
	if dt == 0 || d/dt > maxSpeed {
		return fmt.Errorf("%w: %.0f m in %.1f s", ErrSpeed, d, dt)
	}
	return nil
}
