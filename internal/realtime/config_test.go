package realtime

import (
	"testing"
	"time"
)

func TestConfigDefaults(t *testing.T) {
	got := Config{}.withDefaults()
	want := Config{
		WriteWait:  DefaultWriteWait,
		PongWait:   DefaultPongWait,
		PingPeriod: DefaultPongWait * 9 / 10,
		MaxMessage: DefaultMaxMessage,
		SendQueue:  DefaultSendQueue,
	}
	if got != want {
		t.Fatalf("zero Config defaults to %+v, want %+v", got, want)
	}

	set := Config{WriteWait: time.Second, PongWait: 2 * time.Second,
		PingPeriod: time.Second, MaxMessage: 10, SendQueue: 3}
	if got := set.withDefaults(); got != set {
		t.Fatalf("explicit Config changed to %+v", got)
	}

	bad := Config{PongWait: time.Second, PingPeriod: time.Second, SendQueue: -1}.withDefaults()
	if bad.PingPeriod != 900*time.Millisecond || bad.SendQueue != DefaultSendQueue {
		t.Fatalf("PingPeriod %v SendQueue %d, want 900ms and the default queue", bad.PingPeriod, bad.SendQueue)
	}
}

func TestTruncateReason(t *testing.T) {
	if got := truncateReason("short"); got != "short" {
		t.Fatalf("got %q", got)
	}
	long := ""
	for range 50 {
		long += "日" // 3 bytes
	}
	got := truncateReason(long)
	if len(got) != 123 || got != long[:123] {
		t.Fatalf("truncated to %d bytes, want 123 on a rune boundary", len(got))
	}
}
