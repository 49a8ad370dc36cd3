package sigv4

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The benchmark request: a typical VPC Lattice GET as aws-sdk-go-v2 signs it
// (host, x-amz-date, x-amz-content-sha256: UNSIGNED-PAYLOAD and
// x-amz-security-token signed), as a server receives it.

const (
	benchAKID   = "ASIAIOSFODNN7EXAMPLE"
	benchSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	benchToken  = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletokenexampletokenexampletoken/AiBexampletokenexampletoken+exampletokenexampletokenexampletoken=="
	benchHost   = "orders-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-west-2.on.aws"
)

var benchTime = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

func benchRequest(tb testing.TB) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodGet, "https://"+benchHost+"/orders/12345?include=items", nil)
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	r.Header.Set("Accept", "application/json")
	return r
}

func sdkSign(tb testing.TB, s *v4.Signer, r *http.Request, payload string, t time.Time) {
	tb.Helper()
	err := s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchAKID, SecretAccessKey: benchSecret, SessionToken: benchToken},
		r, payload, "vpc-lattice-svcs", "us-west-2", t)
	if err != nil {
		tb.Fatal(err)
	}
}

func benchVerifier(tb testing.TB) *Verifier {
	tb.Helper()
	v, err := NewVerifier(Config{
		Region:      "us-west-2",
		Credentials: StaticCredentials{benchAKID: {SecretAccessKey: benchSecret, SessionToken: benchToken}},
		Clock:       func() time.Time { return benchTime.Add(30 * time.Second) },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// BenchmarkVerifyLatticeGET verifies a typical VPC Lattice GET signed with
// SigV4 in the Authorization header.
func BenchmarkVerifyLatticeGET(b *testing.B) {
	r := benchRequest(b)
	sdkSign(b, v4.NewSigner(), r, UnsignedPayload, benchTime)
	sr := toServer(b, r)
	v := benchVerifier(b)
	if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyLatticeGETParallel is BenchmarkVerifyLatticeGET on all
// cores at once (the key cache and scratch pool under contention).
func BenchmarkVerifyLatticeGETParallel(b *testing.B) {
	r := benchRequest(b)
	sdkSign(b, v4.NewSigner(), r, UnsignedPayload, benchTime)
	sr := toServer(b, r)
	v := benchVerifier(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkVerifyPresignedGET verifies the same GET presigned in the query
// string.
func BenchmarkVerifyPresignedGET(b *testing.B) {
	r := benchRequest(b)
	r.Header.Del("X-Amz-Content-Sha256")
	s := NewSigner(benchAKID, Credential{SecretAccessKey: benchSecret, SessionToken: benchToken}, nil)
	if _, err := s.Presign(r, SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2", Time: benchTime}); err != nil {
		b.Fatal(err)
	}
	sr := toServer(b, r)
	v := benchVerifier(b)
	if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySignedBody1KiB verifies a POST whose 1 KiB JSON body is
// covered by a hex x-amz-content-sha256 (what curl and most SDKs send): the
// body is buffered, hashed and handed back.
func BenchmarkVerifySignedBody1KiB(b *testing.B) {
	body := bytes.Repeat([]byte(`{"k":"v"},`), 103)[:1024]
	r, _ := http.NewRequest(http.MethodPost, "https://"+benchHost+"/orders", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	s := NewSigner(benchAKID, Credential{SecretAccessKey: benchSecret, SessionToken: benchToken}, nil)
	if _, err := s.Sign(r, SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2", Time: benchTime, AddContentSHA256Header: true}); err != nil {
		b.Fatal(err)
	}
	sr := toServer(b, r)
	v := benchVerifier(b)
	rd := bytes.NewReader(body)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		sr.Body = io.NopCloser(rd)
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyV4A verifies the GET signed with SigV4A (an ECDSA P-256
// verification dominates).
func BenchmarkVerifyV4A(b *testing.B) {
	r := benchRequest(b)
	s := NewSigner(benchAKID, Credential{SecretAccessKey: benchSecret, SessionToken: benchToken}, nil)
	if _, err := s.Sign(r, SignOptions{Service: "vpc-lattice-svcs", Algorithm: AlgorithmV4A, RegionSet: []string{"us-*"}, Time: benchTime}); err != nil {
		b.Fatal(err)
	}
	sr := toServer(b, r)
	v := benchVerifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyBadSignature verifies the GET with a wrong signature (the
// failure path, which also builds the debug output).
func BenchmarkVerifyBadSignature(b *testing.B) {
	r := benchRequest(b)
	sdkSign(b, v4.NewSigner(), r, UnsignedPayload, benchTime)
	sr := toServer(b, r)
	a := sr.Header.Get("Authorization")
	sr.Header.Set("Authorization", a[:len(a)-1]+"0")
	if a[len(a)-1] == '0' {
		sr.Header.Set("Authorization", a[:len(a)-1]+"1")
	}
	v := benchVerifier(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkSign signs the GET with this package's Signer.
func BenchmarkSign(b *testing.B) {
	r := benchRequest(b)
	s := NewSigner(benchAKID, Credential{SecretAccessKey: benchSecret, SessionToken: benchToken}, nil)
	o := SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2", Time: benchTime, PayloadHash: UnsignedPayload}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(r, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSDKSignLatticeGET is the baseline: aws-sdk-go-v2's v4 signer
// signing the same GET, i.e. what re-signing a request to check it costs.
func BenchmarkSDKSignLatticeGET(b *testing.B) {
	r := benchRequest(b)
	s := v4.NewSigner()
	b.ReportAllocs()
	for b.Loop() {
		sdkSign(b, s, r, UnsignedPayload, benchTime)
	}
}

// TestVerifyAllocations checks, in every test run, that verifying the
// benchmark's VPC Lattice GET allocates nothing (testing.AllocsPerRun, not a
// timer).
func TestVerifyAllocations(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("allocation counts differ under -cover and -race")
	}
	r := benchRequest(t)
	sdkSign(t, v4.NewSigner(), r, UnsignedPayload, benchTime)
	sr := toServer(t, r)
	v := benchVerifier(t)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(sr, "vpc-lattice-svcs"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Verify allocates %.1f times per request, want 0", allocs)
	}
}

// BenchmarkSDKVerifyByResigning is a second baseline: verifying the GET the
// way one would with aws-sdk-go-v2 alone, by re-signing a copy of the
// received request that keeps only its signed headers and comparing the
// Authorization headers.
func BenchmarkSDKVerifyByResigning(b *testing.B) {
	r := benchRequest(b)
	sdkSign(b, v4.NewSigner(), r, UnsignedPayload, benchTime)
	sr := toServer(b, r)
	sr.Header.Set("User-Agent", "aws-sdk-go-v2/1.0")
	sr.Header.Set("Accept-Encoding", "gzip")
	s := v4.NewSigner()
	verify := func() bool {
		authz := sr.Header.Get("Authorization")
		_, rest, _ := strings.Cut(authz, "SignedHeaders=")
		signed, _, _ := strings.Cut(rest, ",")
		c := sr.Clone(context.Background())
		c.Header = http.Header{}
		for _, name := range strings.Split(signed, ";") {
			if name != "host" {
				k := http.CanonicalHeaderKey(name)
				c.Header[k] = sr.Header[k]
			}
		}
		c.URL.Scheme, c.URL.Host = "https", sr.Host
		err := s.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: benchAKID, SecretAccessKey: benchSecret, SessionToken: benchToken},
			c, sr.Header.Get("X-Amz-Content-Sha256"), "vpc-lattice-svcs", "us-west-2", benchTime)
		return err == nil && c.Header.Get("Authorization") == authz
	}
	if !verify() {
		b.Fatal("re-signing does not reproduce the signature")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !verify() {
			b.Fatal("mismatch")
		}
	}
}
