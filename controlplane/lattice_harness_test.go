package controlplane_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/smithy-go"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/policy"
	"github.com/trellisproject/trellis/sigv4"
	"github.com/trellisproject/trellis/store"
)

const (
	testRegion   = "us-west-2"
	accountA     = "111122223333"
	accountB     = "444455556666"
	adminKey     = "AKIDADMINEXAMPLE0001"
	readerKey    = "AKIDREADEREXAMPLE001"
	netOnlyKey   = "AKIDNETONLYEXAMPLE01"
	otherKey     = "AKIDOTHERACCTEXAMPL1"
	testSecret   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	adminPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"vpc-lattice:*","Resource":"*"}]}`
	readerPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["vpc-lattice:Get*","vpc-lattice:List*"],"Resource":"*"}]}`
	// netOnlyPolicy allows everything on service networks of account A, and
	// listing anything.
	netOnlyPolicy = `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"vpc-lattice:*","Resource":"arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/*"},
	  {"Effect":"Allow","Action":"vpc-lattice:List*","Resource":"*"}]}`
)

// identity is one access key of the test authorizer: who it is and its
// identity policies.
type identity struct {
	account  string
	arn      string
	policies []*policy.Policy
}

// testAuthorizer verifies SigV4 with trellis's verifier and evaluates the
// caller's identity policies with trellis's policy engine.
type testAuthorizer struct {
	verifier *sigv4.Verifier
	ids      map[string]identity
	mu       sync.Mutex
	seen     []string // "action resource", for tests that check what was asked
}

func newTestAuthorizer(t testing.TB) *testAuthorizer {
	creds := sigv4.StaticCredentials{}
	ids := map[string]identity{}
	add := func(key, account, arn string, docs ...string) {
		creds[key] = sigv4.Credential{SecretAccessKey: testSecret}
		var ps []*policy.Policy
		for _, d := range docs {
			ps = append(ps, policy.MustParse(d, policy.Options{Kind: policy.KindIdentity}))
		}
		ids[key] = identity{account: account, arn: arn, policies: ps}
	}
	add(adminKey, accountA, "arn:aws:iam::111122223333:user/admin", adminPolicy)
	add(readerKey, accountA, "arn:aws:iam::111122223333:user/reader", readerPolicy)
	add(netOnlyKey, accountA, "arn:aws:iam::111122223333:user/netops", netOnlyPolicy)
	add(otherKey, accountB, "arn:aws:iam::444455556666:user/admin", adminPolicy)
	v, err := sigv4.NewVerifier(sigv4.Config{Region: testRegion, Credentials: creds})
	if err != nil {
		t.Fatal(err)
	}
	return &testAuthorizer{verifier: v, ids: ids}
}

func (a *testAuthorizer) Authenticate(r *http.Request) (controlplane.Caller, error) {
	res, err := a.verifier.Verify(r, "vpc-lattice")
	if err != nil {
		return controlplane.Caller{}, err
	}
	id := a.ids[res.AccessKeyID]
	return controlplane.Caller{Account: id.account, ARN: id.arn, AccessKeyID: res.AccessKeyID}, nil
}

func (a *testAuthorizer) Authorize(r *http.Request, c controlplane.Caller, action, resource string) error {
	a.mu.Lock()
	a.seen = append(a.seen, action+" "+resource)
	a.mu.Unlock()
	id := a.ids[c.AccessKeyID]
	p, err := policy.ParsePrincipal(c.ARN)
	if err != nil {
		return err
	}
	set := &policy.Set{Identity: id.policies}
	res := set.Evaluate(&policy.Request{Principal: p, Action: action, Resource: resource, ResourceAccount: c.Account})
	if res.Decision != policy.Allow {
		return controlplane.AccessDenied(c, action, resource, "because no identity-based policy allows the "+action+" action")
	}
	return nil
}

func (a *testAuthorizer) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// env is an API served on 127.0.0.1 with a real SQLite store.
type env struct {
	t     testing.TB
	srv   *httptest.Server
	api   *controlplane.LatticeAPI
	store *store.SQLite
	authz *testAuthorizer
	now   time.Time
	mu    sync.Mutex
}

type envOption func(*controlplane.LatticeConfig)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), t.TempDir(), store.Options{PollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, authz: newTestAuthorizer(t), now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	cfg := controlplane.LatticeConfig{
		Store: st, Authorizer: e.authz, Region: testRegion,
		Rand:  rand.NewChaCha8([32]byte{1, 2, 3}),
		Clock: e.clock,
	}
	for _, o := range opts {
		o(&cfg)
	}
	api, err := controlplane.NewLatticeAPI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.api = api
	e.srv = httptest.NewServer(api)
	t.Cleanup(func() {
		e.srv.Close()
		st.Close()
	})
	return e
}

// clock advances one second per reading, so timestamps differ.
func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(time.Second)
	return e.now
}

// client returns an aws-sdk-go-v2 VPC Lattice client for an access key,
// pointed at the test server, without retries.
func (e *env) client(key string) *vpclattice.Client {
	return vpclattice.New(vpclattice.Options{
		BaseEndpoint: aws.String(e.srv.URL),
		Region:       testRegion,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: testSecret, Source: "test"}, nil
		}),
		HTTPClient:       e.srv.Client(),
		RetryMaxAttempts: 1,
	})
}

// raw sends a request signed with an access key (or unsigned when key is
// empty) and returns the status, the x-amzn-ErrorType header and the body.
func (e *env) raw(key, method, path, body string) (int, string, []byte) {
	e.t.Helper()
	return e.rawAs(e.t, key, method, path, body)
}

// rawAs is raw reporting failures to t.
func (e *env) rawAs(t testing.TB, key, method, path, body string) (int, string, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		s := sigv4.NewSigner(key, sigv4.Credential{SecretAccessKey: testSecret}, nil)
		if _, err := s.Sign(req, sigv4.SignOptions{Service: "vpc-lattice", Region: testRegion}); err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Body = io.NopCloser(strings.NewReader(body))
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), bytes.TrimSpace(b)
}

var ctx = context.Background()

// must returns v, or panics with a mustError that caught (deferred at
// the start of every test that uses must) turns into a test failure.
func must[T any](v T, err error) T {
	if err != nil {
		panic(mustError{err})
	}
	return v
}

type mustError struct{ err error }

// caught turns a panic of must into t.Fatal; defer it in tests using must.
func caught(t testing.TB) {
	if r := recover(); r != nil {
		if m, ok := r.(mustError); ok {
			t.Fatalf("unexpected error: %v", m.err)
		}
		panic(r)
	}
}

// apiCode returns the error code of an SDK error, or "" for nil.
func apiCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "not an API error: " + err.Error()
}

// wantCode fails the test unless err is an API error with this code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := apiCode(err); got != code {
		t.Fatalf("error code = %q, want %q (error: %v)", got, code, err)
	}
}

var _ = model.TypeService
