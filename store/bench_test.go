package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchBody is a small record body, about the size of a VPC Lattice
// service.
var benchBody = json.RawMessage(`{"arn":"arn:aws:vpc-lattice:us-east-1:123456789012:service/svc-0123456789abcdef0",` +
	`"authType":"AWS_IAM","name":"orders","status":"ACTIVE","dnsEntry":{"domainName":"orders-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-east-1.on.aws"}}`)

// fill creates n records of kind "service" with IDs svc-00000...
func fill(b *testing.B, s *SQLite, n int) {
	b.Helper()
	for start := 0; start < n; start += 1000 {
		mustUpdate(b, s, func(tx Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				if _, err := tx.Create(Record{Kind: "service", ID: fmt.Sprintf("svc-%05d", i), Parent: "sn-1", Body: benchBody}); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// BenchmarkCreate commits one small record per Update: the cost of a
// durable write (one fsync of the WAL).
func BenchmarkCreate(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		_, err := s.Update(ctx, func(tx Tx) error {
			_, err := tx.Create(Record{Kind: "service", ID: fmt.Sprint("svc-", i), Name: fmt.Sprint("n", i), Body: benchBody})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateBatch100 commits 100 records per Update; the figure is per
// record.
func BenchmarkCreateBatch100(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		_, err := s.Update(ctx, func(tx Tx) error {
			for range 100 {
				i++
				if _, err := tx.Create(Record{Kind: "service", ID: fmt.Sprint("svc-", i), Body: benchBody}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/record")
}

// BenchmarkPut replaces one record per Update, at the version it read.
func BenchmarkPut(b *testing.B) {
	s := openTest(b, Options{})
	r := mustCreate(b, s, Record{Kind: "service", ID: "svc-1", Body: benchBody})[0]
	ctx := context.Background()
	for b.Loop() {
		_, err := s.Update(ctx, func(tx Tx) error {
			var err error
			r, err = tx.Put(r)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet reads one record of 10,000 in a View.
func BenchmarkGet(b *testing.B) {
	s := openTest(b, Options{})
	fill(b, s, 10000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i = (i + 7919) % 10000
		err := s.View(ctx, func(tx ReadTx) error {
			_, err := tx.Get("service", fmt.Sprintf("svc-%05d", i))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList100 reads a page of 100 records of 10,000 in a View.
func BenchmarkList100(b *testing.B) {
	for _, parent := range []string{"", "sn-1"} {
		name := "all"
		if parent != "" {
			name = "parent"
		}
		b.Run(name, func(b *testing.B) {
			s := openTest(b, Options{})
			fill(b, s, 10000)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				i = (i + 7919) % 9900
				err := s.View(ctx, func(tx ReadTx) error {
					recs, _, err := tx.List("service", ListOptions{
						Parent: parent, Limit: 100, After: encodeToken("service", parent, fmt.Sprintf("svc-%05d", i)),
					})
					if err == nil && len(recs) != 100 {
						err = fmt.Errorf("%d records", len(recs))
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSeq reads the sequence number: the work of one Watch poll.
func BenchmarkSeq(b *testing.B) {
	s := openTest(b, Options{})
	fill(b, s, 1000)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Seq(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatch measures from the end of a commit until a watcher has the
// new sequence number: in the same store (delivered by the commit), and in
// another store on the same database, as another process would be (found by
// polling, every 50 ms by default and every 5 ms). ns/op includes the
// commit; notify-ns/op is the delay after it.
func BenchmarkWatch(b *testing.B) {
	for _, tt := range []struct {
		name  string
		other bool
		poll  time.Duration
	}{
		{"same-store", false, 0},
		{"other-store-poll-50ms", true, DefaultPollInterval},
		{"other-store-poll-5ms", true, 5 * time.Millisecond},
	} {
		b.Run(tt.name, func(b *testing.B) {
			dir := b.TempDir()
			writer := openDir(b, dir, Options{PollInterval: -1})
			watcher := writer
			if tt.other {
				watcher = openDir(b, dir, Options{PollInterval: tt.poll})
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := watcher.Watch(ctx)
			<-w
			var wait time.Duration
			i := 0
			for b.Loop() {
				i++
				seq, err := writer.Update(ctx, func(tx Tx) error {
					_, err := tx.Create(Record{Kind: "service", ID: fmt.Sprint("svc-", i), Body: benchBody})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				committed := time.Now()
				for v := range w {
					if v >= seq {
						break
					}
				}
				wait += time.Since(committed)
			}
			b.ReportMetric(float64(wait.Nanoseconds())/float64(b.N), "notify-ns/op")
		})
	}
}

// BenchmarkOpen opens a store of 10,000 records: the integrity check and
// the schema check.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	s := openDir(b, dir, Options{})
	fill(b, s, 10000)
	big := json.RawMessage(fmt.Sprintf(`{"policy":%q}`, strings.Repeat("x", 2000)))
	mustUpdate(b, s, func(tx Tx) error {
		for i := range 1000 {
			if _, err := tx.Create(Record{Kind: "authpolicy", ID: fmt.Sprint(i), Body: big}); err != nil {
				return err
			}
		}
		return nil
	})
	s.Close()
	for b.Loop() {
		s, err := OpenSQLite(context.Background(), dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkBaselineFsync appends a small record to a file and syncs it:
// the floor under any durable write on this disk, for comparing
// BenchmarkCreate and BenchmarkPut with.
func BenchmarkBaselineFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for b.Loop() {
		if _, err := f.Write(benchBody); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}
