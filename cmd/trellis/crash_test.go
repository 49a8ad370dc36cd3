package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"
)

var serveCrashCycles = flag.Int("serve.crashcycles", 3,
	"kill-and-restart cycles of TestServeSurvivesKill (go test ./cmd/trellis -run TestServeSurvivesKill -serve.crashcycles=50)")

// childServeData, when set, makes the test binary run "trellis serve" on
// that data directory instead of the tests (see TestServeSurvivesKill).
const childServeData = "TRELLIS_TEST_SERVE_DATA"

// childServeConfig names the config file of that child.
const childServeConfig = "TRELLIS_TEST_SERVE_CONFIG"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childServeData); dir != "" {
		os.Exit(run([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--config", os.Getenv(childServeConfig)}, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

var listeningAt = regexp.MustCompile(`control plane listening .* address=(http://127\.0\.0\.1:\d+)`)

// startChildServer runs "trellis serve" in a child process and returns it
// with its URL once it accepts connections. The rate limit is off: the test
// reads back every service as fast as it can.
func startChildServer(t *testing.T, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd, url, _ := startChildServerWith(t, data, "rateLimit: {perSecond: 0}\n")
	return cmd, url
}

// startChildServerWith runs "trellis serve" with a config file in a child
// process and returns it, its control plane URL once it accepts
// connections, and its log.
func startChildServerWith(t *testing.T, data, config string) (*exec.Cmd, string, *lockedBuffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "serve.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServeData+"="+data, childServeConfig+"="+path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			if m := listeningAt.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		io.Copy(logs, stderr) // after a line too long to scan, keep the child from blocking
	}()
	select {
	case url := <-found:
		return cmd, url, logs
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child trellis serve did not start within 20s:\n%s", logs)
	}
	return nil, "", nil
}

// TestServeSurvivesKill creates services through the API from several
// clients at once, kills trellis with SIGKILL while they write, restarts
// it, and checks that every service whose creation was acknowledged is
// there, whole.
func TestServeSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills trellis processes; skipped with -short")
	}
	isolateAWSEnvironment(t)
	data := t.TempDir()
	ctx := context.Background()
	acknowledged := map[string]string{} // name -> ID
	for cycle := range *serveCrashCycles {
		cmd, url := startChildServer(t, data)
		s := &testServer{url: url, data: data}
		id, secret := adminKey(t, data)
		client := s.lattice(staticCredentials(id, secret, ""))
		checkServices(t, ctx, client, acknowledged, cycle)

		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			stop = make(chan struct{})
		)
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					name := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
					out, err := client.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String(name), AuthType: types.AuthTypeAwsIam})
					if err != nil {
						return // the server is gone
					}
					mu.Lock()
					acknowledged[name] = aws.ToString(out.Id)
					mu.Unlock()
				}
			})
		}
		// Kill at a varying moment once some writes are acknowledged.
		time.Sleep(time.Duration(100+37*cycle%150) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		close(stop)
		wg.Wait()
	}
	cmd, url := startChildServer(t, data)
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	id, secret := adminKey(t, data)
	checkServices(t, ctx, (&testServer{url: url}).lattice(staticCredentials(id, secret, "")), acknowledged, *serveCrashCycles)
	if len(acknowledged) == 0 {
		t.Fatal("no write was acknowledged before a kill; the test proved nothing")
	}
	t.Logf("%d acknowledged creates over %d kills, all present", len(acknowledged), *serveCrashCycles)
}

// checkServices lists every service and checks that each acknowledged one
// is present with its ID, and that every service listed reads back whole.
func checkServices(t *testing.T, ctx context.Context, client *vpclattice.Client, acknowledged map[string]string, cycle int) {
	t.Helper()
	found := map[string]string{}
	p := vpclattice.NewListServicesPaginator(client, &vpclattice.ListServicesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("after kill %d: ListServices: %v", cycle, err)
		}
		for _, s := range page.Items {
			found[aws.ToString(s.Name)] = aws.ToString(s.Id)
		}
	}
	for name, id := range acknowledged {
		if found[name] != id {
			t.Errorf("after kill %d: acknowledged service %s (%s) is missing", cycle, name, id)
		}
	}
	for name, id := range found {
		got, err := client.GetService(ctx, &vpclattice.GetServiceInput{ServiceIdentifier: aws.String(id)})
		if err != nil || aws.ToString(got.Name) != name || got.AuthType != types.AuthTypeAwsIam || aws.ToString(got.Arn) == "" {
			t.Errorf("after kill %d: service %s does not read back whole: %+v, %v", cycle, name, got, err)
		}
	}
}
