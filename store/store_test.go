package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock that moves one millisecond every time it is read.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// openTest opens a store in a new temporary directory and closes it when
// the test ends.
func openTest(t testing.TB, opts Options) *SQLite {
	t.Helper()
	return openDir(t, t.TempDir(), opts)
}

func openDir(t testing.TB, dir string, opts Options) *SQLite {
	t.Helper()
	s, err := OpenSQLite(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func rec(kind Kind, id, parent, name, body string) Record {
	return Record{Kind: kind, ID: id, Parent: parent, Name: name, Body: json.RawMessage(body)}
}

// mustUpdate runs fn in an Update and fails the test on error.
func mustUpdate(t testing.TB, s Store, fn func(Tx) error) uint64 {
	t.Helper()
	seq, err := s.Update(context.Background(), fn)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return seq
}

func mustCreate(t testing.TB, s Store, rs ...Record) []Record {
	t.Helper()
	var out []Record
	mustUpdate(t, s, func(tx Tx) error {
		for _, r := range rs {
			got, err := tx.Create(r)
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	return out
}

func mustGet(t testing.TB, s Store, kind Kind, id string) Record {
	t.Helper()
	var r Record
	err := s.View(context.Background(), func(tx ReadTx) error {
		var err error
		r, err = tx.Get(kind, id)
		return err
	})
	if err != nil {
		t.Fatalf("Get %s %s: %v", kind, id, err)
	}
	return r
}

// checkErr checks that err is want (nil for no error) and that its message
// names what it is about.
func checkErr(t *testing.T, err, want error, mentions ...string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %v, want %v", err, want)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not mention %q", err, m)
		}
	}
}

func TestCreate(t *testing.T) {
	existing := []Record{
		rec("service", "svc-1", "", "orders", `{"n":1}`),
		rec("listener", "listener-1", "svc-1", "http", `{"n":2}`),
		rec("listener", "listener-2", "svc-2", "", `{}`),
	}
	tests := []struct {
		name     string
		r        Record
		want     error
		mentions []string
	}{
		{"new", rec("service", "svc-2", "", "billing", `{"a":[1,2]}`), nil, nil},
		{"no name", rec("service", "svc-2", "", "", `{}`), nil, nil},
		{"second without name", rec("listener", "listener-3", "svc-2", "", `{}`), nil, nil},
		{"same name other parent", rec("listener", "listener-3", "svc-2", "http", `{}`), nil, nil},
		{"same name other kind", rec("servicenetwork", "sn-1", "", "orders", `{}`), nil, nil},
		{"same id other kind", rec("servicenetwork", "svc-1", "", "", `{}`), nil, nil},
		{"id taken", rec("service", "svc-1", "", "other", `{}`), ErrExists, []string{"service", "svc-1"}},
		{"id and name taken", rec("service", "svc-1", "", "orders", `{}`), ErrExists, []string{"svc-1"}},
		{"name taken", rec("service", "svc-9", "", "orders", `{}`), ErrNameTaken, []string{"service", "orders"}},
		{"name taken in parent", rec("listener", "listener-9", "svc-1", "http", `{}`), ErrNameTaken, []string{"http", "svc-1"}},
		{"empty kind", rec("", "x", "", "", `{}`), ErrInvalid, nil},
		{"empty id", rec("service", "", "", "", `{}`), ErrInvalid, []string{"service"}},
		{"empty body", rec("service", "svc-3", "", "", ``), ErrInvalid, []string{"svc-3"}},
		{"body not JSON", rec("service", "svc-3", "", "", `{"a":`), ErrInvalid, []string{"svc-3"}},
		{"id not UTF-8", rec("service", "svc-\xff", "", "", `{}`), ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newTestClock()
			s := openTest(t, Options{Clock: clock.Now})
			mustCreate(t, s, existing...)
			before, _ := s.Seq(context.Background())
			var got Record
			seq, err := s.Update(context.Background(), func(tx Tx) error {
				var err error
				got, err = tx.Create(tt.r)
				return err
			})
			checkErr(t, err, tt.want, tt.mentions...)
			if err != nil {
				if after, _ := s.Seq(context.Background()); after != before {
					t.Errorf("failed Create moved the sequence from %d to %d", before, after)
				}
				return
			}
			if seq != before+1 {
				t.Errorf("seq %d after %d", seq, before)
			}
			if got.Version != 1 || got.Created.IsZero() || !got.Created.Equal(got.Updated) {
				t.Errorf("Create returned version %d created %v updated %v", got.Version, got.Created, got.Updated)
			}
			stored := mustGet(t, s, tt.r.Kind, tt.r.ID)
			if !equalRecords(stored, got) {
				t.Errorf("stored %+v, Create returned %+v", stored, got)
			}
		})
	}
}

func equalRecords(a, b Record) bool {
	return a.Kind == b.Kind && a.ID == b.ID && a.Parent == b.Parent && a.Name == b.Name &&
		string(a.Body) == string(b.Body) && a.Version == b.Version &&
		a.Created.Equal(b.Created) && a.Updated.Equal(b.Updated)
}

func TestPut(t *testing.T) {
	tests := []struct {
		name     string
		r        Record // Version 0 here means "the version Create returned"
		version  int64  // when not 0, overrides r.Version
		want     error
		mentions []string
	}{
		{"new body", rec("service", "svc-1", "", "orders", `{"n":2}`), 0, nil, nil},
		{"rename", rec("service", "svc-1", "", "shipping", `{}`), 0, nil, nil},
		{"drop name", rec("service", "svc-1", "", "", `{}`), 0, nil, nil},
		{"reparent", rec("service", "svc-1", "sn-1", "orders", `{}`), 0, nil, nil},
		{"stale version", rec("service", "svc-1", "", "orders", `{}`), 7, ErrConflict, []string{"svc-1", "7"}},
		{"version 0", rec("service", "svc-1", "", "orders", `{}`), -1, ErrConflict, []string{"svc-1"}},
		{"missing", rec("service", "svc-9", "", "", `{}`), 0, ErrNotFound, []string{"service", "svc-9"}},
		{"name taken", rec("service", "svc-1", "", "billing", `{}`), 0, ErrNameTaken, []string{"billing"}},
		{"invalid body", rec("service", "svc-1", "", "orders", `nope`), 0, ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newTestClock()
			s := openTest(t, Options{Clock: clock.Now})
			created := mustCreate(t, s,
				rec("service", "svc-1", "", "orders", `{"n":1}`),
				rec("service", "svc-2", "", "billing", `{}`))
			r := tt.r
			switch tt.version {
			case 0:
				r.Version = created[0].Version
			case -1:
				r.Version = 0
			default:
				r.Version = tt.version
			}
			var got Record
			_, err := s.Update(context.Background(), func(tx Tx) error {
				var err error
				got, err = tx.Put(r)
				return err
			})
			checkErr(t, err, tt.want, tt.mentions...)
			stored := mustGet(t, s, "service", "svc-1")
			if err != nil {
				if !equalRecords(stored, created[0]) {
					t.Errorf("failed Put changed the record: %+v", stored)
				}
				return
			}
			if got.Version != 2 || !got.Created.Equal(created[0].Created) || !got.Updated.After(created[0].Updated) {
				t.Errorf("Put returned version %d created %v updated %v; Create gave %v",
					got.Version, got.Created, got.Updated, created[0].Created)
			}
			if !equalRecords(stored, got) {
				t.Errorf("stored %+v, Put returned %+v", stored, got)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name     string
		id       string
		version  int64
		want     error
		mentions []string
	}{
		{"unconditional", "svc-1", 0, nil, nil},
		{"at version", "svc-1", 2, nil, nil},
		{"stale version", "svc-1", 1, ErrConflict, []string{"svc-1"}},
		{"missing", "svc-9", 0, ErrNotFound, []string{"svc-9"}},
		{"missing at version", "svc-9", 3, ErrNotFound, []string{"svc-9"}},
		{"negative version", "svc-1", -1, ErrInvalid, nil},
		{"empty id", "", 0, ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t, Options{})
			created := mustCreate(t, s, rec("service", "svc-1", "", "orders", `{}`))[0]
			mustUpdate(t, s, func(tx Tx) error { _, err := tx.Put(created); return err }) // version 2
			_, err := s.Update(context.Background(), func(tx Tx) error {
				return tx.Delete("service", tt.id, tt.version)
			})
			checkErr(t, err, tt.want, tt.mentions...)
			err = s.View(context.Background(), func(tx ReadTx) error {
				_, err := tx.Get("service", "svc-1")
				return err
			})
			if deleted := errors.Is(err, ErrNotFound); deleted != (tt.want == nil) {
				t.Errorf("after Delete, Get: %v", err)
			}
			if tt.want == nil {
				// The name is free again.
				mustCreate(t, s, rec("service", "svc-2", "", "orders", `{}`))
			}
		})
	}
}

func TestGetByName(t *testing.T) {
	s := openTest(t, Options{})
	mustCreate(t, s,
		rec("service", "svc-1", "", "orders", `{}`),
		rec("listener", "l-1", "svc-1", "http", `{}`),
		rec("listener", "l-2", "svc-2", "http", `{}`),
		rec("listener", "l-3", "svc-2", "", `{}`),
	)
	tests := []struct {
		kind         Kind
		parent, name string
		want         string // ID, or empty for an error
		err          error
	}{
		{"service", "", "orders", "svc-1", nil},
		{"listener", "svc-1", "http", "l-1", nil},
		{"listener", "svc-2", "http", "l-2", nil},
		{"listener", "", "http", "", ErrNotFound},
		{"listener", "svc-3", "http", "", ErrNotFound},
		{"service", "", "billing", "", ErrNotFound},
		{"listener", "svc-2", "", "", ErrInvalid},
		{"", "", "orders", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%s", tt.kind, tt.parent, tt.name), func(t *testing.T) {
			err := s.View(context.Background(), func(tx ReadTx) error {
				r, err := tx.GetByName(tt.kind, tt.parent, tt.name)
				if err == nil && r.ID != tt.want {
					t.Errorf("got %s, want %s", r.ID, tt.want)
				}
				return err
			})
			checkErr(t, err, tt.err)
		})
	}
}

// listAll pages through a List and returns the IDs in order.
func listAll(t *testing.T, tx ReadTx, kind Kind, parent string, limit int) []string {
	t.Helper()
	var ids []string
	token := ""
	for pages := 0; ; pages++ {
		recs, next, err := tx.List(kind, ListOptions{Parent: parent, Limit: limit, After: token})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(recs) > listLimit(limit) {
			t.Fatalf("page of %d records, limit %d", len(recs), limit)
		}
		if next != "" && len(recs) != listLimit(limit) {
			t.Fatalf("short page of %d records with a next token", len(recs))
		}
		for _, r := range recs {
			if r.Kind != kind || (parent != "" && r.Parent != parent) {
				t.Fatalf("List %s %s returned %+v", kind, parent, r)
			}
			ids = append(ids, r.ID)
		}
		if next == "" {
			return ids
		}
		if pages > 10000 {
			t.Fatal("List does not end")
		}
		token = next
	}
}

func TestList(t *testing.T) {
	s := openTest(t, Options{})
	var all, svc1 []string
	var recs []Record
	for i := range 25 {
		id := fmt.Sprintf("l-%03d", i)
		parent := "svc-2"
		if i%3 == 0 {
			parent = "svc-1"
			svc1 = append(svc1, id)
		}
		all = append(all, id)
		recs = append(recs, rec("listener", id, parent, "", `{}`))
	}
	// Create in an order that is not the ID order.
	for i := len(recs) - 1; i >= 0; i-- {
		mustCreate(t, s, recs[i])
	}
	mustCreate(t, s, rec("service", "svc-1", "", "", `{}`))

	tests := []struct {
		parent string
		limit  int
		want   []string
	}{
		{"", 0, all},
		{"", 1, all},
		{"", 7, all},
		{"", 25, all},
		{"", 26, all},
		{"", -5, all},
		{"svc-1", 0, svc1},
		{"svc-1", 2, svc1},
		{"svc-1", 9, svc1},
		{"svc-9", 3, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("parent=%s,limit=%d", tt.parent, tt.limit), func(t *testing.T) {
			s.View(context.Background(), func(tx ReadTx) error {
				got := listAll(t, tx, "listener", tt.parent, tt.limit)
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got %v\nwant %v", got, tt.want)
				}
				return nil
			})
		})
	}
	t.Run("kind without records", func(t *testing.T) {
		s.View(context.Background(), func(tx ReadTx) error {
			recs, next, err := tx.List("rule", ListOptions{})
			if err != nil || len(recs) != 0 || next != "" {
				t.Errorf("got %v %q %v", recs, next, err)
			}
			return nil
		})
	})
}

func TestListLimits(t *testing.T) {
	s := openTest(t, Options{})
	mustUpdate(t, s, func(tx Tx) error {
		for i := range MaxListLimit + 1 {
			if _, err := tx.Create(rec("rule", fmt.Sprintf("r-%05d", i), "", "", `1`)); err != nil {
				return err
			}
		}
		return nil
	})
	s.View(context.Background(), func(tx ReadTx) error {
		for _, tt := range []struct{ limit, want int }{
			{0, DefaultListLimit}, {-1, DefaultListLimit}, {10, 10},
			{MaxListLimit, MaxListLimit}, {MaxListLimit + 500, MaxListLimit},
		} {
			recs, next, err := tx.List("rule", ListOptions{Limit: tt.limit})
			if err != nil || len(recs) != tt.want || next == "" {
				t.Errorf("limit %d: %d records, next %q, %v; want %d", tt.limit, len(recs), next, err, tt.want)
			}
		}
		return nil
	})
}

func TestListChangesBetweenPages(t *testing.T) {
	s := openTest(t, Options{})
	for i := range 10 {
		mustCreate(t, s, rec("rule", fmt.Sprintf("r-%d", i), "", "", `{}`))
	}
	var first []Record
	var next string
	s.View(context.Background(), func(tx ReadTx) error {
		var err error
		first, next, err = tx.List("rule", ListOptions{Limit: 4})
		return err
	})
	if len(first) != 4 || first[3].ID != "r-3" {
		t.Fatalf("first page %v", first)
	}
	// Delete one seen and one unseen record, add one before and one after
	// the page boundary.
	mustUpdate(t, s, func(tx Tx) error {
		for _, id := range []string{"r-1", "r-6"} {
			if err := tx.Delete("rule", id, 0); err != nil {
				return err
			}
		}
		for _, id := range []string{"r-0a", "r-5a"} {
			if _, err := tx.Create(rec("rule", id, "", "", `{}`)); err != nil {
				return err
			}
		}
		return nil
	})
	var rest []string
	s.View(context.Background(), func(tx ReadTx) error {
		for next != "" {
			recs, n, err := tx.List("rule", ListOptions{Limit: 4, After: next})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				rest = append(rest, r.ID)
			}
			next = n
		}
		return nil
	})
	if want := "[r-4 r-5 r-5a r-7 r-8 r-9]"; fmt.Sprint(rest) != want {
		t.Errorf("rest %v, want %s", rest, want)
	}
}

func TestListTokens(t *testing.T) {
	s := openTest(t, Options{})
	for i := range 5 {
		mustCreate(t, s, rec("listener", fmt.Sprintf("l-%d", i), "svc-1", "", `{}`))
	}
	var token string
	s.View(context.Background(), func(tx ReadTx) error {
		_, token, _ = tx.List("listener", ListOptions{Parent: "svc-1", Limit: 2})
		return nil
	})
	if token == "" {
		t.Fatal("no token")
	}
	tests := []struct {
		name   string
		kind   Kind
		parent string
		token  string
		want   error
	}{
		{"same query", "listener", "svc-1", token, nil},
		{"other parent", "listener", "svc-2", token, ErrBadToken},
		{"no parent", "listener", "", token, ErrBadToken},
		{"other kind", "rule", "svc-1", token, ErrBadToken},
		{"not base64", "listener", "svc-1", "!!!", ErrBadToken},
		{"not JSON", "listener", "svc-1", "bm90IGpzb24", ErrBadToken},
		{"no position", "listener", "svc-1", encodeToken("listener", "svc-1", ""), ErrBadToken},
		{"truncated", "listener", "svc-1", token[:len(token)-3], ErrBadToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.View(context.Background(), func(tx ReadTx) error {
				_, _, err := tx.List(tt.kind, ListOptions{Parent: tt.parent, After: tt.token})
				return err
			})
			checkErr(t, err, tt.want)
		})
	}
}

func FuzzDecodeToken(f *testing.F) {
	f.Add("listener", "svc-1", encodeToken("listener", "svc-1", "l-1"))
	f.Add("service", "", "e30")
	f.Fuzz(func(t *testing.T, kind, parent, token string) {
		after, err := decodeToken(Kind(kind), parent, token)
		if err == nil && token != "" && after == "" {
			t.Errorf("token %q decoded to no position", token)
		}
		if err != nil && !errors.Is(err, ErrBadToken) {
			t.Errorf("error %v is not ErrBadToken", err)
		}
	})
}

func TestCount(t *testing.T) {
	s := openTest(t, Options{})
	mustCreate(t, s,
		rec("listener", "l-1", "svc-1", "", `{}`),
		rec("listener", "l-2", "svc-1", "", `{}`),
		rec("listener", "l-3", "svc-2", "", `{}`),
		rec("service", "svc-1", "", "", `{}`),
	)
	tests := []struct {
		kind   Kind
		parent string
		want   int
	}{
		{"listener", "", 3},
		{"listener", "svc-1", 2},
		{"listener", "svc-2", 1},
		{"listener", "svc-3", 0},
		{"service", "", 1},
		{"rule", "", 0},
	}
	for _, tt := range tests {
		s.View(context.Background(), func(tx ReadTx) error {
			n, err := tx.Count(tt.kind, tt.parent)
			if err != nil || n != tt.want {
				t.Errorf("Count(%s, %q) = %d, %v; want %d", tt.kind, tt.parent, n, err, tt.want)
			}
			return nil
		})
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	s := openTest(t, Options{})
	mustCreate(t, s, rec("service", "svc-1", "", "", `{"n":1}`))
	seq, _ := s.Seq(context.Background())
	boom := errors.New("boom")
	_, err := s.Update(context.Background(), func(tx Tx) error {
		if _, err := tx.Create(rec("service", "svc-2", "", "", `{}`)); err != nil {
			return err
		}
		if err := tx.Delete("service", "svc-1", 0); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update returned %v, want fn's error unchanged", err)
	}
	mustGet(t, s, "service", "svc-1")
	s.View(context.Background(), func(tx ReadTx) error {
		if _, err := tx.Get("service", "svc-2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("svc-2 after failed Update: %v", err)
		}
		return nil
	})
	if after, _ := s.Seq(context.Background()); after != seq {
		t.Errorf("seq moved from %d to %d", seq, after)
	}
}

func TestUpdatePanicWritesNothing(t *testing.T) {
	s := openTest(t, Options{})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic was not passed on")
			}
		}()
		s.Update(context.Background(), func(tx Tx) error {
			tx.Create(rec("service", "svc-1", "", "", `{}`))
			panic("boom")
		})
	}()
	// The writer connection was given back, and nothing was written.
	mustCreate(t, s, rec("service", "svc-2", "", "", `{}`))
	s.View(context.Background(), func(tx ReadTx) error {
		if _, err := tx.Get("service", "svc-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("svc-1 after panic: %v", err)
		}
		return nil
	})
}

func TestSeq(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	if seq, err := s.Seq(ctx); seq != 0 || err != nil {
		t.Fatalf("new store: Seq %d, %v", seq, err)
	}
	steps := []struct {
		name    string
		fn      func(Tx) error
		advance bool
	}{
		{"create", func(tx Tx) error { _, err := tx.Create(rec("a", "1", "", "", `{}`)); return err }, true},
		{"read only", func(tx Tx) error { _, err := tx.Get("a", "1"); return err }, false},
		{"nothing", func(Tx) error { return nil }, false},
		{"three writes", func(tx Tx) error {
			r, err := tx.Create(rec("a", "2", "", "", `{}`))
			if err == nil {
				_, err = tx.Put(r)
			}
			if err == nil {
				err = tx.Delete("a", "1", 0)
			}
			return err
		}, true},
		{"failed writes ignored", func(tx Tx) error {
			if _, err := tx.Create(rec("a", "2", "", "", `{}`)); !errors.Is(err, ErrExists) {
				return fmt.Errorf("Create: %v", err)
			}
			if err := tx.Delete("a", "9", 0); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("Delete: %v", err)
			}
			return nil
		}, false},
		{"put", func(tx Tx) error {
			r, _ := tx.Get("a", "2")
			_, err := tx.Put(r)
			return err
		}, true},
	}
	var last uint64
	for _, st := range steps {
		seq, err := s.Update(ctx, st.fn)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		want := last
		if st.advance {
			want = last + 1
		}
		if seq != want {
			t.Errorf("%s: seq %d, want %d", st.name, seq, want)
		}
		if got, _ := s.Seq(ctx); got != seq {
			t.Errorf("%s: Seq() %d, Update returned %d", st.name, got, seq)
		}
		last = seq
	}
}

func TestViewIsSnapshot(t *testing.T) {
	s := openTest(t, Options{})
	mustCreate(t, s, rec("counter", "c", "", "", `{"n":1}`))
	ctx := context.Background()
	err := s.View(ctx, func(tx ReadTx) error {
		before, err := tx.Get("counter", "c")
		if err != nil {
			return err
		}
		// Another goroutine commits while the snapshot is open.
		done := make(chan error)
		go func() {
			_, err := s.Update(ctx, func(tx Tx) error {
				before.Body = json.RawMessage(`{"n":2}`)
				_, err := tx.Put(before)
				if err == nil {
					_, err = tx.Create(rec("counter", "d", "", "", `{}`))
				}
				return err
			})
			done <- err
		}()
		if err := <-done; err != nil {
			return err
		}
		again, err := tx.Get("counter", "c")
		if err != nil {
			return err
		}
		if string(again.Body) != `{"n":1}` || again.Version != 1 {
			t.Errorf("snapshot changed: %s version %d", again.Body, again.Version)
		}
		if n, _ := tx.Count("counter", ""); n != 1 {
			t.Errorf("snapshot sees %d counters", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := mustGet(t, s, "counter", "c"); string(r.Body) != `{"n":2}` {
		t.Errorf("after View: %s", r.Body)
	}
}

func TestViewCannotWrite(t *testing.T) {
	s := openTest(t, Options{})
	s.View(context.Background(), func(tx ReadTx) error {
		if _, ok := tx.(Tx); ok {
			t.Error("View's ReadTx is a Tx")
		}
		return nil
	})
}

func TestViewReturnsFnError(t *testing.T) {
	s := openTest(t, Options{})
	boom := errors.New("boom")
	if err := s.View(context.Background(), func(ReadTx) error { return boom }); err != boom {
		t.Errorf("View returned %v", err)
	}
}

func TestClockAndReopen(t *testing.T) {
	dir := t.TempDir()
	clock := newTestClock()
	s, err := OpenSQLite(context.Background(), dir, Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	created := mustCreate(t, s, rec("service", "svc-1", "parent", "name", `{"k": "v"}`))[0]
	if want := time.Date(2026, 3, 1, 12, 0, 0, 124456789, time.UTC); !created.Created.Equal(want) {
		t.Errorf("Created %v, want %v from the clock", created.Created, want)
	}
	var put Record
	mustUpdate(t, s, func(tx Tx) error {
		put, err = tx.Put(created)
		return err
	})
	if !put.Updated.Equal(created.Created.Add(time.Millisecond)) || !put.Created.Equal(created.Created) {
		t.Errorf("after Put: created %v updated %v", put.Created, put.Updated)
	}
	seq, _ := s.Seq(context.Background())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openDir(t, dir, Options{})
	got := mustGet(t, s, "service", "svc-1")
	if !equalRecords(got, put) || got.Created.Location() != time.UTC {
		t.Errorf("after reopening: %+v, want %+v", got, put)
	}
	if after, _ := s.Seq(context.Background()); after != seq {
		t.Errorf("seq %d after reopening, was %d", after, seq)
	}
}

// TestErrorsHideBodies checks that no error quotes a record body: bodies
// hold secrets.
func TestErrorsHideBodies(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	body := `{"SecretAccessKey":"` + secret + `"}`
	s := openTest(t, Options{})
	r := mustCreate(t, s, rec("accesskey", "AKIAEXAMPLE", "user-1", "key", body))[0]
	var errs []error
	s.Update(context.Background(), func(tx Tx) error {
		_, err := tx.Create(rec("accesskey", "AKIAEXAMPLE", "user-1", "key", body))
		errs = append(errs, err)
		_, err = tx.Create(rec("accesskey", "AKIAOTHER", "user-1", "key", body))
		errs = append(errs, err)
		stale := r
		stale.Version = 9
		_, err = tx.Put(stale)
		errs = append(errs, err)
		_, err = tx.Create(rec("accesskey", "AKIABAD", "", "", body[:len(body)-1]))
		errs = append(errs, err)
		return nil
	})
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "SecretAccessKey") {
			t.Errorf("error quotes the body: %v", err)
		}
	}
}

func TestClosed(t *testing.T) {
	s, err := OpenSQLite(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := s.Watch(context.Background())
	<-w
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, ok := <-w; ok {
		t.Error("Watch channel open after Close")
	}
	if _, ok := <-s.Watch(context.Background()); ok {
		t.Error("Watch after Close delivered a value")
	}
	if _, err := s.Update(context.Background(), func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v", err)
	}
	if err := s.View(context.Background(), func(ReadTx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close: %v", err)
	}
	if _, err := s.Seq(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Seq after Close: %v", err)
	}
}

func TestUpdateCanceled(t *testing.T) {
	s := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Update(ctx, func(tx Tx) error {
		_, err := tx.Create(rec("a", "1", "", "", `{}`))
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a canceled context: %v", err)
	}
	s.View(context.Background(), func(tx ReadTx) error {
		if n, _ := tx.Count("a", ""); n != 0 {
			t.Errorf("%d records written", n)
		}
		return nil
	})
}

// TestCloseDuringUse closes the store while goroutines use it: they get
// errors, not panics or races (run with -race).
func TestCloseDuringUse(t *testing.T) {
	s, err := OpenSQLite(context.Background(), t.TempDir(), Options{PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			w := s.Watch(context.Background())
			for i := 0; ; i++ {
				_, err := s.Update(context.Background(), func(tx Tx) error {
					_, err := tx.Create(rec("a", fmt.Sprint(g, "-", i), "", "", `{}`))
					return err
				})
				if err == nil {
					err = s.View(context.Background(), func(tx ReadTx) error {
						_, _, err := tx.List("a", ListOptions{Limit: 5})
						return err
					})
				}
				if err != nil {
					for range w { // closed by Close
					}
					return
				}
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
}
