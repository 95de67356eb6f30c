package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: every server the
// black-box tests boot through run must have stopped completely once run returned.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
