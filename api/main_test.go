package api

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine (a WebSocket reader or writer, an
// httptest server, an engine loop) outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
