package gateway

import "os"

// TRELLIS_TEST_ENGINE=eventloop runs the package's tests with event loops
// serving every ingress that does not name an engine and that they can
// serve (scripts/test runs the package both ways).
func init() {
	if e := os.Getenv("TRELLIS_TEST_ENGINE"); e != "" {
		defaultEngine = e
	}
}
