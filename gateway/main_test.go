package gateway_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when goroutines they started are
// still running after the last test: a gateway, its ingresses, health
// checker and metrics must stop everything they start.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
