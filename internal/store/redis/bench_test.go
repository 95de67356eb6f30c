package redis

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hummingbird-dispatch/hummingbird/internal/presence"
	"github.com/hummingbird-dispatch/hummingbird/internal/ratelimit"
)

// benchPayload is about the size of a position or status frame.
var benchPayload = bytes.Repeat([]byte("x"), 256)

// BenchmarkBusPublish measures the Bus end to end on the loopback Redis: instance a
// publishes b.N frames, instance b receives them all; msgs/s counts frames delivered by
// b per second of the whole run. "serial" is one publishing goroutine (one round trip
// per frame); "parallel" is GOMAXPROCS × 4 publishers sharing the client's pool.
//
//	go test -run '^$' -bench BusPublish -benchtime 100000x ./internal/store/redis/
func BenchmarkBusPublish(b *testing.B) {
	for _, mode := range []string{"serial", "parallel"} {
		b.Run(mode, func(b *testing.B) {
			prefix := testPrefix()
			pub, err := NewBus(testClient(b, prefix, "a"), BusConfig{Prefix: prefix, Instance: "a"})
			if err != nil {
				b.Fatal(err)
			}
			sub, err := NewBus(testClient(b, prefix, "b"), BusConfig{Prefix: prefix, Instance: "b"})
			if err != nil {
				b.Fatal(err)
			}
			var got atomic.Int64
			all := make(chan struct{})
			want := int64(b.N)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- sub.Run(ctx, func(string, []byte) {
					if got.Add(1) == want {
						close(all)
					}
				})
			}()
			defer func() { cancel(); <-done }()
			eventually(b, "the subscriber", sub.Healthy)

			b.SetBytes(int64(len(benchPayload)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			if mode == "serial" {
				for range b.N {
					if err := pub.Publish(ctx, "track:ord_1", benchPayload); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(4)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := pub.Publish(ctx, "track:ord_1", benchPayload); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			select {
			case <-all:
			case <-time.After(time.Minute):
				b.Fatalf("delivered %d of %d", got.Load(), b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkBusLayout compares the two ways to carry topics over Redis pub/sub with four
// subscribing instances and 100 topics: one channel with the topic in the envelope
// (SUBSCRIBE <prefix>:bus, what Bus does) against one channel per topic with a pattern
// subscription (PSUBSCRIBE <prefix>:t:*). msgs/s counts messages published per second,
// each received by all four subscribers.
//
//	go test -run '^$' -bench BusLayout -benchtime 100000x ./internal/store/redis/
func BenchmarkBusLayout(b *testing.B) {
	const subscribers, topics = 4, 100
	for _, layout := range []string{"channel", "pattern"} {
		b.Run(layout, func(b *testing.B) {
			prefix := testPrefix()
			c := testClient(b, prefix, "bench")
			var received atomic.Int64
			var wg sync.WaitGroup
			var subs []*goredis.PubSub
			for range subscribers {
				ps := c.Subscribe(b.Context())
				if layout == "channel" {
					err := ps.Subscribe(b.Context(), prefix+":bus")
					if err != nil {
						b.Fatal(err)
					}
				} else if err := ps.PSubscribe(b.Context(), prefix+":t:*"); err != nil {
					b.Fatal(err)
				}
				if _, err := ps.Receive(b.Context()); err != nil { // the confirmation
					b.Fatal(err)
				}
				subs = append(subs, ps)
				wg.Go(func() {
					for {
						if _, err := ps.ReceiveMessage(context.Background()); err != nil {
							return
						}
						received.Add(1)
					}
				})
			}
			defer func() {
				for _, ps := range subs {
					_ = ps.Close()
				}
				wg.Wait()
			}()
			names := make([]string, topics)
			for i := range names {
				topic := fmt.Sprint("track:ord_", i)
				if layout == "channel" {
					names[i] = prefix + ":bus"
				} else {
					names[i] = prefix + ":t:" + topic
				}
			}
			b.ResetTimer()
			start := time.Now()
			var n atomic.Int64
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					msg := appendEnvelope(nil, "a", "track:ord_1", benchPayload)
					if err := c.Publish(b.Context(), names[i%topics], msg).Err(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			eventually(b, "every subscriber to receive every message", func() bool {
				return received.Load() == int64(b.N*subscribers)
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkLimiterAllow measures one Allow (one EVALSHA round trip) from parallel callers
// spread over 1000 keys.
//
//	go test -run '^$' -bench LimiterAllow ./internal/store/redis/
func BenchmarkLimiterAllow(b *testing.B) {
	prefix := testPrefix()
	l, err := NewLimiter(testClient(b, prefix, "bench"), LimiterConfig{Prefix: prefix, Limit: ratelimit.Config{Rate: 100, Burst: 100}})
	if err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Allow(b.Context(), fmt.Sprint("mer_", n.Add(1)%1000), time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPresenceAll measures All over 1000 live couriers with 10 000 expired ones
// behind them (their index members are trimmed by the first call).
//
//	go test -run '^$' -bench PresenceAll ./internal/store/redis/
func BenchmarkPresenceAll(b *testing.B) {
	prefix := testPrefix()
	now := time.Now()
	p, err := NewPresence(testClient(b, prefix, "bench"), PresenceConfig{Prefix: prefix, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 11000 {
		ttl := time.Second
		if i < 1000 {
			ttl = time.Hour
		}
		e := presence.Entry{CourierID: fmt.Sprintf("cou_%05d", i), Lat: 52.5, Lng: 13.4, At: now, Instance: "hb-1", State: "idle"}
		if err := p.Put(b.Context(), e, ttl); err != nil {
			b.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		all, err := p.All(b.Context())
		if err != nil || len(all) != 1000 {
			b.Fatalf("All: %d entries, %v", len(all), err)
		}
	}
}
