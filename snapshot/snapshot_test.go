package snapshot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/trellisproject/trellis/identity"
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

const (
	account = "111122223333"
	keyID   = "AKIAIOSFODNN7EXAMPLE"
	secret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var (
	ctx   = context.Background()
	quiet = snapshot.Options{Logger: slog.New(slog.DiscardHandler)}
)

func openStore(t testing.TB) *store.SQLite {
	t.Helper()
	st, err := store.OpenSQLite(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// declared is a small identity configuration: one user with one key.
func declared(users ...string) identity.Input {
	in := identity.Input{Accounts: []identity.Account{{ID: account}}}
	for i, u := range users {
		in.Users = append(in.Users, identity.User{Account: account, Name: u})
		in.AccessKeys = append(in.AccessKeys, identity.AccessKey{ID: fmt.Sprintf("AKIAIOSFODNN7EXAMPL%c", 'A'+i), Secret: secret, User: "arn:aws:iam::" + account + ":user/" + u})
	}
	return in
}

func writeDeclared(t testing.TB, st store.Store, in identity.Input) uint64 {
	t.Helper()
	seq, err := st.Update(ctx, func(tx store.Tx) error {
		_, version, err := snapshot.ReadDeclared(tx)
		if err != nil {
			return err
		}
		return snapshot.WriteDeclared(tx, in, version)
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func putService(t testing.TB, st store.Store, i int) uint64 {
	t.Helper()
	id := fmt.Sprintf("svc-%017d", i)
	svc := model.Service{
		Meta:     model.Meta{ID: id, ARN: "arn:aws:vpc-lattice:us-east-1:" + account + ":service/" + id, Account: account},
		Name:     fmt.Sprintf("service-%d", i),
		AuthType: model.AuthIAM,
		DNSName:  fmt.Sprintf("service-%d-%s.7d67968.vpc-lattice-svcs.us-east-1.on.aws", i, id[4:]),
	}
	body, err := json.Marshal(svc)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := st.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(store.Record{Kind: model.KindService, ID: id, Name: svc.Name, Body: body})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestLoad(t *testing.T) {
	st := openStore(t)
	writeDeclared(t, st, declared("alice"))
	putService(t, st, 1)
	session := identity.Session{
		AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: secret, SessionToken: "token",
		RoleARN: "arn:aws:iam::" + account + ":role/r", SessionName: "ci-run",
		Issued: time.Now(), Expires: time.Now().Add(time.Hour),
	}
	in := declared("alice")
	in.Roles = []identity.Role{{Account: account, Name: "r", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":"sts:AssumeRole"}}`)}}
	writeDeclared(t, st, in)
	seq, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.SaveSession(tx, session) })
	if err != nil {
		t.Fatal(err)
	}

	s, err := snapshot.Load(ctx, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.Seq != seq || s.Lattice.Seq() != seq {
		t.Errorf("Seq = %d, Lattice.Seq = %d, want %d", s.Seq, s.Lattice.Seq(), seq)
	}
	if got := s.Lattice.ServicesByHost(fmt.Sprintf("service-1-%017d.7d67968.vpc-lattice-svcs.us-east-1.on.aws", 1)); len(got) != 1 {
		t.Errorf("service by host: %v", got)
	}
	if _, ok := s.Identity.Lookup("AKIAIOSFODNN7EXAMPLA"); !ok {
		t.Error("the declared user's key is unknown")
	}
	if c, ok := s.Identity.Lookup(session.AccessKeyID); !ok || c.SessionToken != "token" {
		t.Error("the stored session is unknown")
	}
	// The declared identities never include sessions.
	err = st.View(ctx, func(tx store.ReadTx) error {
		in, version, err := snapshot.ReadDeclared(tx)
		if err == nil && (len(in.Sessions) != 0 || version == 0) {
			err = fmt.Errorf("declared: %d sessions, version %d", len(in.Sessions), version)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestWriteDeclaredConflict(t *testing.T) {
	st := openStore(t)
	writeDeclared(t, st, declared("alice"))
	_, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, declared("bob"), 0) })
	if err == nil {
		t.Error("creating the identities twice succeeded")
	}
	_, err = st.Update(ctx, func(tx store.Tx) error { return snapshot.WriteDeclared(tx, declared("bob"), 7) })
	if err == nil {
		t.Error("a write with a stale version succeeded")
	}
}

// TestManagerFollowsCommits checks that committed changes reach Current,
// and that a change that does not build leaves the last good state.
func TestManagerFollowsCommits(t *testing.T) {
	st := openStore(t)
	writeDeclared(t, st, declared("alice"))
	m, err := snapshot.NewManager(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go m.Run(runCtx)

	seq := writeDeclared(t, st, declared("alice", "bob"))
	wait, cancelWait := context.WithTimeout(ctx, 5*time.Second)
	defer cancelWait()
	if err := m.WaitFor(wait, seq); err != nil {
		t.Fatalf("WaitFor(%d): %v; current is %d", seq, err, m.Current().Seq)
	}
	if _, ok := m.Current().Identity.Lookup("AKIAIOSFODNN7EXAMPLB"); !ok {
		t.Error("bob's key is not in the current state")
	}

	good := m.Current()
	// A user without an account does not make a valid configuration.
	broken := declared("alice")
	broken.Users = append(broken.Users, identity.User{Name: "nobody"})
	writeDeclared(t, st, broken)
	if err := m.Refresh(ctx); err == nil {
		t.Fatal("Refresh accepted an invalid configuration")
	}
	if m.Current() != good || m.Failures() == 0 {
		t.Errorf("after a bad change: current changed = %v, failures = %d", m.Current() != good, m.Failures())
	}
	// Nor does the manager start on one.
	if _, err := snapshot.NewManager(ctx, st, quiet); err == nil {
		t.Error("NewManager started on an invalid configuration")
	}
	// A good change recovers.
	seq = writeDeclared(t, st, declared("carol"))
	if err := m.WaitFor(wait, seq); err != nil {
		t.Fatalf("WaitFor after recovery: %v", err)
	}
	if m.Failures() != 0 {
		t.Errorf("failures = %d after a good change", m.Failures())
	}
}

func TestWaitForHonoursContext(t *testing.T) {
	st := openStore(t)
	m, err := snapshot.NewManager(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.WaitFor(c, m.Current().Seq+1); err == nil {
		t.Error("WaitFor for a change that never comes returned nil")
	}
}

func TestPruneSessions(t *testing.T) {
	st := openStore(t)
	now := time.Now()
	for i, expires := range []time.Time{now.Add(-48 * time.Hour), now.Add(-time.Hour), now.Add(time.Hour)} {
		s := identity.Session{AccessKeyID: fmt.Sprintf("ASIAIOSFODNN7EXAMPL%c", 'A'+i), SecretAccessKey: secret, SessionToken: "t", Issued: expires.Add(-time.Hour), Expires: expires}
		if _, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.SaveSession(tx, s) }); err != nil {
			t.Fatal(err)
		}
	}
	n, err := snapshot.PruneSessions(ctx, st, now.Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneSessions = %d, %v; want 1", n, err)
	}
	var left []string
	err = st.View(ctx, func(tx store.ReadTx) error {
		recs, _, err := tx.List(snapshot.KindSession, store.ListOptions{Limit: 10})
		for _, r := range recs {
			left = append(left, r.ID)
		}
		return err
	})
	if err != nil || !slices.Equal(left, []string{"ASIAIOSFODNN7EXAMPLB", "ASIAIOSFODNN7EXAMPLC"}) {
		t.Errorf("sessions left: %v, %v", left, err)
	}
}

// BenchmarkPropagation measures the time from a committed change to the
// moment the Manager's current state includes it, with a configuration of
// a given number of services: the store's change notification, a rebuild
// of the whole state, and the swap.
func BenchmarkPropagation(b *testing.B) {
	for _, services := range []int{10, 1000} {
		b.Run(fmt.Sprintf("services=%d", services), func(b *testing.B) {
			st := openStore(b)
			writeDeclared(b, st, declared("alice"))
			for i := range services {
				putService(b, st, i)
			}
			m, err := snapshot.NewManager(ctx, st, quiet)
			if err != nil {
				b.Fatal(err)
			}
			runCtx, cancel := context.WithCancel(ctx)
			defer cancel()
			go m.Run(runCtx)
			var lat, commit []time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				seq := putService(b, st, services+i)
				commit = append(commit, time.Since(start))
				start = time.Now()
				if err := m.WaitFor(ctx, seq); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			slices.Sort(commit)
			// The commit itself is the baseline the propagation time is
			// compared with in docs/BENCHMARKS.md.
			b.ReportMetric(float64(commit[len(commit)/2].Microseconds()), "commit-p50-µs")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// TestSessionOfDeletedRole checks that deleting a role whose sessions are
// still stored does not stop the configuration from building.
func TestSessionOfDeletedRole(t *testing.T) {
	st := openStore(t)
	in := declared("alice")
	in.Roles = []identity.Role{{Account: account, Name: "r", TrustPolicy: json.RawMessage(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + account + `"},"Action":"sts:AssumeRole"}}`)}}
	writeDeclared(t, st, in)
	session := identity.Session{
		AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: secret, SessionToken: "token",
		RoleARN: "arn:aws:iam::" + account + ":role/r", SessionName: "ci-run",
		Issued: time.Now(), Expires: time.Now().Add(time.Hour),
	}
	if _, err := st.Update(ctx, func(tx store.Tx) error { return snapshot.SaveSession(tx, session) }); err != nil {
		t.Fatal(err)
	}
	writeDeclared(t, st, declared("alice"))
	s, err := snapshot.Load(ctx, st, time.Now())
	if err != nil {
		t.Fatalf("the configuration does not build after the role was deleted: %v", err)
	}
	if _, ok := s.Identity.Lookup(session.AccessKeyID); ok {
		t.Error("the session of a deleted role still authenticates")
	}
}
