package authz_test

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/trellisproject/trellis/authz"
	lt "github.com/trellisproject/trellis/internal/latticetest"
)

// BenchmarkDecide measures one decision over all three layers for a
// signed caller with a handful of headers, as the gateway makes it.
func BenchmarkDecide(b *testing.B) {
	w := build(b, iam(orgOnly), iam(getReports))
	dir := lt.Identities(b, now.Add(-time.Hour))
	a := authz.New(func() time.Time { return now })
	r := &authz.Request{Service: w.svc, ServiceNetwork: w.sn, Caller: lt.Caller(b, dir, lt.SessionKey),
		Method: "GET", Path: "/reports/2026/03", Port: 80,
		Header:   http.Header{"User-Agent": {"bench/1.0"}, "Accept": {"application/json"}, "X-Amz-Date": {"20260301T120000Z"}},
		SourceIP: netip.MustParseAddr("10.0.1.7"), SourceVPC: vpcID, SourceVPCOwner: lt.Account}
	if d := a.Decide(w.snap, r); !d.Allowed {
		b.Fatalf("not allowed: %s", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Decide(w.snap, r)
	}
}
