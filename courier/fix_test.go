package courier

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hummingbird-dispatch/hummingbird/geo"
)

func TestFilterCheck(t *testing.T) {
	now := t0
	at := func(d time.Duration) time.Time { return now.Add(d) }
	// kmh returns a fix reached from prev at v km/h after dt.
	kmh := func(prev Fix, v float64, dt time.Duration) Fix {
		m := v / 3.6 * dt.Seconds()
		return Fix{Pos: geo.Offset(prev.Pos, m, 0), At: prev.At.Add(dt)}
	}
	start := Fix{Pos: paris, At: at(-10 * time.Second)}
	jittery := Fix{Pos: paris, Accuracy: 20, At: at(-10 * time.Second)}

	tests := []struct {
		name string
		f    Filter
		prev *Fix
		next Fix
		want error
	}{
		{"first fix", Filter{}, nil, Fix{Pos: paris, At: now}, nil},
		{"first fix, invalid position", Filter{}, nil, Fix{Pos: geo.LatLng{Lat: -91}, At: now}, geo.ErrLatitude},
		{"NaN position", Filter{}, &start, Fix{Pos: geo.LatLng{Lng: math.NaN()}, At: now}, geo.ErrNotFinite},

		{"unknown accuracy", Filter{}, nil, Fix{Pos: paris, At: now}, nil},
		{"accuracy at the bound", Filter{}, nil, Fix{Pos: paris, Accuracy: 100, At: now}, nil},
		{"accuracy past the bound", Filter{}, nil, Fix{Pos: paris, Accuracy: 100.5, At: now}, ErrAccuracy},
		{"negative accuracy", Filter{}, nil, Fix{Pos: paris, Accuracy: -1, At: now}, ErrAccuracy},
		{"NaN accuracy", Filter{}, nil, Fix{Pos: paris, Accuracy: math.NaN(), At: now}, ErrAccuracy},
		{"infinite accuracy", Filter{}, nil, Fix{Pos: paris, Accuracy: math.Inf(1), At: now}, ErrAccuracy},
		{"custom accuracy bound", Filter{MaxAccuracy: 20}, nil, Fix{Pos: paris, Accuracy: 25, At: now}, ErrAccuracy},

		{"30 s ahead", Filter{}, nil, Fix{Pos: paris, At: at(30 * time.Second)}, nil},
		{"31 s ahead", Filter{}, nil, Fix{Pos: paris, At: at(31 * time.Second)}, ErrFuture},
		{"custom skew", Filter{MaxFuture: time.Second}, nil, Fix{Pos: paris, At: at(2 * time.Second)}, ErrFuture},
		{"5 min old", Filter{}, nil, Fix{Pos: paris, At: at(-5 * time.Minute)}, nil},
		{"older than 5 min", Filter{}, nil, Fix{Pos: paris, At: at(-5*time.Minute - time.Second)}, ErrStale},
		{"custom age", Filter{MaxAge: time.Minute}, nil, Fix{Pos: paris, At: at(-61 * time.Second)}, ErrStale},

		{"out of order", Filter{}, &start, Fix{Pos: paris, At: start.At.Add(-time.Second)}, ErrOutOfOrder},
		{"same time, same place", Filter{}, &start, Fix{Pos: paris, At: start.At}, nil},
		{"same time, elsewhere", Filter{}, &start, Fix{Pos: geo.Offset(paris, 50, 0), At: start.At}, ErrSpeed},

		{"150 km/h kept", Filter{}, &start, kmh(start, 150, 10*time.Second), nil},
		{"199 km/h kept", Filter{}, &start, kmh(start, 199, 10*time.Second), nil},
		{"201 km/h dropped", Filter{}, &start, kmh(start, 201, 10*time.Second), ErrSpeed},
		{"250 km/h dropped", Filter{}, &start, kmh(start, 250, 5*time.Second), ErrSpeed},
		{"custom speed bound", Filter{MaxSpeed: 10}, &start, kmh(start, 40, 10*time.Second), ErrSpeed},

		// Accuracy radii are slack: 30 m "in" 1 s with ±20 m fixes is jitter, 300 m is not.
		{"jitter within accuracy", Filter{}, &jittery,
			Fix{Pos: geo.Offset(paris, 30, 0), Accuracy: 20, At: jittery.At.Add(time.Second)}, nil},
		{"jump beyond accuracy", Filter{}, &jittery,
			Fix{Pos: geo.Offset(paris, 300, 0), Accuracy: 20, At: jittery.At.Add(time.Second)}, ErrSpeed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f.Check(tc.prev, tc.next, now)
			if (err == nil) != (tc.want == nil) || !errors.Is(err, tc.want) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
