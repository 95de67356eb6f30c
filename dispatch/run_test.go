package dispatch_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRunTicksEveryRoundAndStops runs the engine loop in a synctest bubble, whose clock
// only moves when every goroutine in it is blocked.
func TestRunTicksEveryRoundAndStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng := dispatch.New(dispatch.Config{Round: time.Second}, memory.New(), nil, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- eng.Run(ctx) }()
		time.Sleep(5*time.Second + time.Millisecond)
		synctest.Wait()
		if n := eng.Stats().Rounds; n != 5 {
			t.Fatalf("%d rounds after 5 s of 1 s rounds", n)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	})
}
