package authz_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/authz"
	lt "github.com/trellisproject/trellis/internal/latticetest"
)

// FuzzDecide feeds arbitrary request parts to a decision over policies
// that read them, and checks that the decision is well-formed and the
// same when made twice (the reused context must not leak between calls).
func FuzzDecide(f *testing.F) {
	f.Add("GET", "/reports/1", "X-Env", "prod", "v", "2", "10.0.1.7", true)
	f.Add("POST", "/", "", "", "", "", "::1", false)
	f.Add("", "/a b/%zz", "X-Team", "red\x00", "tag", "a&b", "not an address", true)
	w := build(f, iam(tagged), iam(getReports))
	dir := lt.Identities(f, now.Add(-time.Hour))
	a := authz.New(func() time.Time { return now })
	f.Fuzz(func(t *testing.T, method, path, hname, hval, qkey, qval, src string, signed bool) {
		r := &authz.Request{Service: w.svc, ServiceNetwork: w.sn, Method: method, Path: path, Port: 443,
			Header: http.Header{hname: {hval, hval}}, Query: url.Values{qkey: {qval}}, SourceVPC: vpcID}
		if ip, err := netip.ParseAddr(src); err == nil {
			r.SourceIP = ip
		}
		if signed {
			r.Caller = lt.Caller(t, dir, lt.AliceKey)
		}
		d1 := a.Decide(w.snap, r)
		d2 := a.Decide(w.snap, r)
		if d1.Allowed != d2.Allowed || d1.Layer != d2.Layer || d1.Statement() != d2.Statement() {
			t.Fatalf("two decisions differ: %s / %s", d1, d2)
		}
		if d1.Resource != w.svc.ARN+path {
			t.Fatalf("resource %q", d1.Resource)
		}
		if msg := d1.Message(); d1.Allowed != (msg == "") || (!d1.Allowed && !strings.HasPrefix(msg, "User: ")) {
			t.Fatalf("allowed=%v message %q", d1.Allowed, msg)
		}
	})
}
