package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

var crashCycles = flag.Int("store.crashcycles", 5,
	"kill-and-recover cycles of TestCrashRecovery (go test ./store -run TestCrashRecovery -store.crashcycles=50)")

// The test binary runs itself as a helper process when helperEnv is set.
const (
	helperEnv    = "TRELLIS_STORE_HELPER" // "crash" or "open"
	helperDirEnv = "TRELLIS_STORE_DIR"
	helperTagEnv = "TRELLIS_STORE_TAG"
)

// TestHelperProcess is not a test: it is the child process of
// TestCrashRecovery and TestOpenReadOnlyDir.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	switch os.Getenv(helperEnv) {
	case "":
		return
	case "open":
		s, err := OpenSQLite(context.Background(), dir, Options{})
		if err != nil {
			fmt.Printf("open error: %v\n", err)
		} else {
			fmt.Println("open ok")
			s.Close()
		}
		os.Exit(0)
	case "crash":
		crashChild(dir, os.Getenv(helperTagEnv))
	}
	fmt.Println("unknown helper")
	os.Exit(2)
}

// Records of the crash test. Each Update of the child creates a pair of
// records, each naming the other and carrying a checksum of its own
// content, and counts the pair in a counter record; every third Update is
// followed by one that deletes an older pair and counts that too. Every Update is all or nothing, so
// after any crash every pair is complete and the counter equals the number
// of pairs.
const (
	kindPair    Kind = "pair"
	kindCounter Kind = "counter"
)

type pairBody struct {
	Partner string `json:"partner"`
	Payload string `json:"payload"`
	Sum     string `json:"sum"`
}

func pairSum(id, partner, payload string) string {
	h := sha256.Sum256([]byte(id + "\x00" + partner + "\x00" + payload))
	return hex.EncodeToString(h[:])
}

func pairRecord(id, partner string) Record {
	n := rand.N(200)
	if rand.N(10) == 0 {
		n = rand.N(6000) // sometimes more than a page
	}
	payload := strings.Repeat(id[len(id)-1:], n)
	body, _ := json.Marshal(pairBody{Partner: partner, Payload: payload, Sum: pairSum(id, partner, payload)})
	return Record{Kind: kindPair, ID: id, Body: body}
}

type counterBody struct {
	Pairs int `json:"pairs"`
}

// addPairs adds n to the counter record.
func addPairs(tx Tx, n int) error {
	c, err := tx.Get(kindCounter, "pairs")
	if errors.Is(err, ErrNotFound) {
		body, _ := json.Marshal(counterBody{n})
		_, err = tx.Create(Record{Kind: kindCounter, ID: "pairs", Body: body})
		return err
	}
	if err != nil {
		return err
	}
	var cb counterBody
	if err := json.Unmarshal(c.Body, &cb); err != nil {
		return err
	}
	cb.Pairs += n
	c.Body, _ = json.Marshal(cb)
	_, err = tx.Put(c)
	return err
}

// crashChild writes pairs until it is killed, printing "ack a b" after each
// Update that created a pair, and "del? a b" before and "del a b" after each
// that deleted one.
func crashChild(dir, tag string) {
	s, err := OpenSQLite(context.Background(), dir, Options{PollInterval: -1})
	if err != nil {
		fmt.Printf("error: %v\n", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		a, b := fmt.Sprintf("%s-%06d-a", tag, i), fmt.Sprintf("%s-%06d-b", tag, i)
		_, err := s.Update(context.Background(), func(tx Tx) error {
			for _, r := range []Record{pairRecord(a, b), pairRecord(b, a)} {
				if _, err := tx.Create(r); err != nil {
					return err
				}
			}
			return addPairs(tx, 1)
		})
		if err != nil {
			fmt.Printf("error: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(out, "ack %s %s\n", a, b)
		out.Flush() // one write(2) per line: a line is printed whole or not at all

		if i%3 == 2 {
			da, db := fmt.Sprintf("%s-%06d-a", tag, i-2), fmt.Sprintf("%s-%06d-b", tag, i-2)
			fmt.Fprintf(out, "del? %s %s\n", da, db)
			out.Flush()
			_, err := s.Update(context.Background(), func(tx Tx) error {
				for _, id := range []string{da, db} {
					if err := tx.Delete(kindPair, id, 0); err != nil {
						return err
					}
				}
				return addPairs(tx, -1)
			})
			if err != nil {
				fmt.Printf("error: %v\n", err)
				os.Exit(1)
			}
			fmt.Fprintf(out, "del %s %s\n", da, db)
			out.Flush()
		}
	}
}

// TestCrashRecovery kills a process that is writing to the store with
// SIGKILL at a random moment, reopens the store, and checks that every
// write the process saw acknowledged is there, and that no transaction is
// half there. It repeats on the same database -store.crashcycles times.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() && *crashCycles > 5 {
		t.Skip("long crash test in -short mode")
	}
	dir := t.TempDir()
	// Acknowledged pair records: true present, false deleted. A pair whose
	// deletion was started but not acknowledged may be either, and is not
	// checked.
	live := map[string]bool{}
	total := 0
	for cycle := range *crashCycles {
		lines, err := runAndKill(t, dir, fmt.Sprintf("c%03d", cycle))
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 {
				t.Fatalf("cycle %d: child said %q", cycle, l)
			}
			switch f[0] {
			case "ack":
				live[f[1]], live[f[2]] = true, true
			case "del?":
				delete(live, f[1])
				delete(live, f[2])
			case "del":
				live[f[1]], live[f[2]] = false, false
			default:
				t.Fatalf("cycle %d: child said %q", cycle, l)
			}
		}
		total += len(lines)
		checkCrashStore(t, dir, cycle, live)
	}
	t.Logf("%d cycles, %d acknowledged transactions", *crashCycles, total)
}

// runAndKill runs the child until it has acknowledged at least one write,
// then for a random while longer, kills it and returns the lines it printed.
func runAndKill(t *testing.T, dir, tag string) ([]string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=crash", helperDirEnv+"="+dir, helperTagEnv+"="+tag)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var lines []string
	var mu sync.Mutex
	first := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, sc.Text())
			if len(lines) == 1 {
				close(first)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-first:
	case <-done:
	case <-time.After(10 * time.Second):
	}
	time.Sleep(time.Duration(rand.N(250)) * time.Millisecond)
	cmd.Process.Kill() // SIGKILL
	<-done             // every line the child wrote before it died
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != -1 {
		return lines, fmt.Errorf("child ended by itself (%v), not by the kill: %q", err, lines)
	}
	if len(lines) == 0 {
		return nil, errors.New("child acknowledged nothing")
	}
	return lines, nil
}

// checkCrashStore opens the store after a crash and checks it.
func checkCrashStore(t *testing.T, dir string, cycle int, live map[string]bool) {
	t.Helper()
	s, err := OpenSQLite(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("cycle %d: reopen after kill: %v", cycle, err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx ReadTx) error {
		stored := map[string]pairBody{}
		after := ""
		for {
			recs, next, err := tx.List(kindPair, ListOptions{Limit: MaxListLimit, After: after})
			if err != nil {
				return err
			}
			for _, r := range recs {
				var pb pairBody
				if err := json.Unmarshal(r.Body, &pb); err != nil {
					return fmt.Errorf("%s: body is not whole: %v", r.ID, err)
				}
				if pb.Sum != pairSum(r.ID, pb.Partner, pb.Payload) {
					return fmt.Errorf("%s: checksum does not match its body", r.ID)
				}
				stored[r.ID] = pb
			}
			if next == "" {
				break
			}
			after = next
		}
		for id, pb := range stored {
			if partner, ok := stored[pb.Partner]; !ok || partner.Partner != id {
				return fmt.Errorf("%s: half a pair: partner %s missing", id, pb.Partner)
			}
		}
		for id, present := range live {
			if _, ok := stored[id]; ok != present {
				return fmt.Errorf("%s: acknowledged present=%v, stored=%v", id, present, ok)
			}
		}
		c, err := tx.Get(kindCounter, "pairs")
		if err != nil {
			return err
		}
		var cb counterBody
		if err := json.Unmarshal(c.Body, &cb); err != nil {
			return err
		}
		if cb.Pairs*2 != len(stored) {
			return fmt.Errorf("counter says %d pairs, %d pair records stored", cb.Pairs, len(stored))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("cycle %d: %v", cycle, err)
	}
}
