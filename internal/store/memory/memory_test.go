package memory_test

import (
	"testing"

	"github.com/hummingbird-dispatch/hummingbird/dispatch"
	"github.com/hummingbird-dispatch/hummingbird/internal/idempotency"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/memory"
	"github.com/hummingbird-dispatch/hummingbird/internal/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.Store(t, func(*testing.T) dispatch.Store { return memory.New() })
}

func TestIdempotency(t *testing.T) {
	storetest.Idempotency(t, func(*testing.T) idempotency.Store { return memory.New() })
}
