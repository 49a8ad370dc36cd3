package authz

import (
	"strconv"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/policy"
)

// The condition keys of VPC Lattice's request context. The
// vpc-lattice-svcs keys are case-sensitive.
const (
	KeyPort                     = "vpc-lattice-svcs:Port"
	KeyRequestMethod            = "vpc-lattice-svcs:RequestMethod"
	KeyRequestHeaderPrefix      = "vpc-lattice-svcs:RequestHeader/"
	KeyRequestQueryStringPrefix = "vpc-lattice-svcs:RequestQueryString/"
	KeyServiceNetworkArn        = "vpc-lattice-svcs:ServiceNetworkArn"
	KeyServiceArn               = "vpc-lattice-svcs:ServiceArn"
	KeySourceVpc                = "vpc-lattice-svcs:SourceVpc"
	KeySourceVpcOwnerAccount    = "vpc-lattice-svcs:SourceVpcOwnerAccount"
	KeySourceIP                 = "aws:SourceIp"
	KeySecureTransport          = "aws:SecureTransport"
	KeyCurrentTime              = "aws:CurrentTime"
	KeyEpochTime                = "aws:EpochTime"
)

// span is a string that is either given (s) or the bytes [a, b) of the
// scratch buffer, which become a string once the buffer is complete.
type span struct {
	s    string
	a, b int
}

type pair struct{ k, v span }

// scratch is the reusable storage of one decision.
type scratch struct {
	ctx   *policy.Context
	buf   []byte
	pairs []pair
}

func newScratch() *scratch {
	return &scratch{ctx: policy.NewContext(32), buf: make([]byte, 0, 1024), pairs: make([]pair, 0, 32)}
}

func given(s string) span { return span{s: s, a: -1} }

// mark appends s to the buffer and returns its span.
func (sc *scratch) mark(f func([]byte) []byte) span {
	a := len(sc.buf)
	sc.buf = f(sc.buf)
	return span{a: a, b: len(sc.buf)}
}

// joined returns the one value of vs as given, or several joined by sep in
// the buffer.
func (sc *scratch) joined(vs []string, sep string) span {
	if len(vs) == 1 {
		return given(vs[0])
	}
	return sc.mark(func(b []byte) []byte {
		for i, v := range vs {
			if i > 0 {
				b = append(b, sep...)
			}
			b = append(b, v...)
		}
		return b
	})
}

func lower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// build fills the context for r and returns the resource ARN. The
// principal's keys come first (identity.Caller.AddContext keeps the first
// value of a key), then those of the request. Keys about the principal
// other than aws:PrincipalType are absent for anonymous callers, as the
// VPC Lattice guide documents.
func (sc *scratch) build(r *Request, now time.Time) string {
	sc.ctx.Reset()
	sc.buf = sc.buf[:0]
	sc.pairs = sc.pairs[:0]
	if r.Caller != nil {
		r.Caller.AddContext(sc.ctx)
	} else {
		identity.AddAnonymousContext(sc.ctx)
	}
	resource := sc.mark(func(b []byte) []byte { return append(append(b, r.Service.ARN...), r.Path...) })
	add := func(k, v span) { sc.pairs = append(sc.pairs, pair{k, v}) }
	add(given(KeyServiceArn), given(r.Service.ARN))
	add(given(KeyServiceNetworkArn), given(r.ServiceNetwork.ARN))
	add(given(KeyRequestMethod), given(r.Method))
	add(given(KeyPort), sc.mark(func(b []byte) []byte { return strconv.AppendInt(b, int64(r.Port), 10) }))
	if r.SourceVPC != "" {
		add(given(KeySourceVpc), given(r.SourceVPC))
	}
	if r.SourceVPCOwner != "" {
		add(given(KeySourceVpcOwnerAccount), given(r.SourceVPCOwner))
	}
	if r.SourceIP.IsValid() {
		add(given(KeySourceIP), sc.mark(r.SourceIP.Unmap().AppendTo))
	}
	secure := "false"
	if r.TLS {
		secure = "true"
	}
	add(given(KeySecureTransport), given(secure))
	now = now.UTC()
	add(given(KeyCurrentTime), sc.mark(func(b []byte) []byte { return now.AppendFormat(b, time.RFC3339) }))
	add(given(KeyEpochTime), sc.mark(func(b []byte) []byte { return strconv.AppendInt(b, now.Unix(), 10) }))
	for name, vs := range r.Header {
		if len(vs) == 0 {
			continue
		}
		k := sc.mark(func(b []byte) []byte { return lower(append(b, KeyRequestHeaderPrefix...), name) })
		add(k, sc.joined(vs, ", "))
	}
	for key, vs := range r.Query {
		if len(vs) == 0 {
			continue
		}
		k := sc.mark(func(b []byte) []byte { return append(append(b, KeyRequestQueryStringPrefix...), key...) })
		add(k, sc.joined(vs, ","))
	}

	all := string(sc.buf)
	get := func(s span) string {
		if s.a < 0 {
			return s.s
		}
		return all[s.a:s.b]
	}
	for _, p := range sc.pairs {
		sc.ctx.Add(get(p.k), get(p.v))
	}
	return get(resource)
}
