package controlplane_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when goroutines they started are
// still running after the last test: the control plane, its store and
// snapshot manager must stop everything they start.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
