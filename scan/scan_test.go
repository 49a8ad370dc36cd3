package scan_test

import (
	"context"
	"os"
	"testing"

	"github.com/trellisproject/trellis/scan"
)

func TestSmoke(t *testing.T) {
	sc, err := scan.Load("../examples/zero-trust-lab")
	if err != nil {
		t.Fatal(err)
	}
	for _, live := range []bool{false, true} {
		rep, err := scan.Run(context.Background(), sc, scan.Options{Live: live})
		if err != nil {
			t.Fatal(err)
		}
		rep.WriteTable(os.Stdout)
	}
}
