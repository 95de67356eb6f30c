package realtime_test

import (
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/internal/realtime"
)

func BenchmarkPublish(b *testing.B) {
	const subscribers = 100
	hub := realtime.NewHub()
	subs := make([]*fakeSub, subscribers)
	for i := range subs {
		subs[i] = &fakeSub{}
		hub.Subscribe("orders", subs[i])
	}
	payload := []byte(`{"type":"order.updated","id":"o-1","status":"picked_up"}`)
	b.ReportAllocs()
	var iterations int64
	for b.Loop() {
		hub.Publish("orders", payload)
		iterations++
	}
	for i, s := range subs {
		if got := s.n.Load(); got != iterations {
			b.Fatalf("subscriber %d got %d deliveries, want %d", i, got, iterations)
		}
	}
}
