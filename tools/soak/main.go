// Command soak runs `trellis serve` for a long time under mixed traffic and
// configuration changes, and prints how throughput, latency, memory and
// goroutines evolve (docs/RELIABILITY.md).
//
// Usage (from the repository root, or through scripts/soak):
//
//	go run ./tools/soak [-duration 10m] [-interval 10s] [-workers 8] [-change 3s]
//
// It builds trellis, starts `trellis serve` with one ingress and a metrics
// listener on loopback, and configures a service in front of a local target
// through the VPC Lattice API. Workers then send requests to the service
// through the ingress without pause: half signed with SigV4 by the
// administrator (allowed: 200 from the target), half unsigned (denied: 403
// by the auth policy). Every -change, the service's auth policy is replaced
// by an equivalent one and the service is re-tagged, so the gateway keeps
// rebuilding its configuration under load. Every -interval a row is
// printed: requests per second, p99 latency, unexpected answers, the
// process's resident memory and goroutines (from the metrics listener's
// process_resident_memory_bytes and go_goroutines). At the end it compares
// the first and second halves of the run: memory and goroutines must level
// off, not keep growing. It exits with status 1 when any answer was
// unexpected, a configuration change failed, or they kept growing.
//
// With -conns N it also holds N keep-alive connections to the ingress
// open for the whole run (opened at -ramp connections a second), each
// sending one request every -every, and reports the memory each held
// connection costs trellis: the connection-heavy run of docs/RELIABILITY.md,
// for example scripts/soak 3m -conns 5000 -workers 0.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"

	"github.com/trellisproject/trellis/internal/liveserve"
	"github.com/trellisproject/trellis/sigv4"
)

func main() {
	var (
		duration = flag.Duration("duration", 10*time.Minute, "how long the soak runs")
		interval = flag.Duration("interval", 10*time.Second, "how often a row is printed")
		workers  = flag.Int("workers", 8, "concurrent clients")
		change   = flag.Duration("change", 3*time.Second, "how often the configuration changes")
		keep     = flag.Bool("keep", false, "keep the work directory (trellis data and log)")
		conns    = flag.Int("conns", 0, "keep-alive connections held open for the whole run")
		every    = flag.Duration("every", 5*time.Second, "how often each held connection sends a request")
		ramp     = flag.Int("ramp", 500, "held connections opened per second")
		engine   = flag.String("engine", "goroutines", "what serves the ingress: goroutines or eventloop (docs/gateway.md, Engines)")
	)
	flag.Parse()
	if *workers < 0 || *conns < 0 || *ramp < 1 || *every <= 0 || *interval <= 0 || *change <= 0 {
		log.Fatal("-workers and -conns must not be negative, -ramp must be positive, and -every, -interval and -change must be positive durations")
	}
	work, err := os.MkdirTemp("", "trellis-soak-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintln(os.Stderr, "work directory:", work)
	}
	if err := run(work, options{duration: *duration, interval: *interval, workers: *workers, change: *change, conns: *conns, every: *every, ramp: *ramp, engine: *engine}); err != nil {
		log.Print(err)
		if !*keep {
			os.RemoveAll(work)
		}
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	duration, interval, change, every time.Duration
	workers, conns, ramp              int
	engine                            string
}

func run(work string, o options) error {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer target.Close()
	go http.Serve(target, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the target\n")
	}))

	bin := filepath.Join(work, "trellis")
	if err := liveserve.Build(bin); err != nil {
		return err
	}
	var control, ingress, metrics string
	for _, addr := range []*string{&control, &ingress, &metrics} {
		if *addr, err = liveserve.FreeAddr(); err != nil {
			return err
		}
	}
	data := filepath.Join(work, "data")
	conf := filepath.Join(work, "trellis.yaml")
	cfg := fmt.Sprintf("data: %s\nlisten: %s\nregion: %s\naccount: %q\ngateway:\n  accessLogDir: %s\n  metricsListen: %s\n  ingress:\n    - listen: %s\n      vpc: %s\n      listenerPort: 80\n      engine: %s\n",
		data, control, liveserve.Region, liveserve.Account, filepath.Join(work, "access-logs"), metrics, ingress, liveserve.VPC, o.engine)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(work, "trellis.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv := exec.Command(bin, "serve", "--config", conf)
	srv.Stdout, srv.Stderr = io.Discard, logFile
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			srv.Process.Kill()
			<-done
		}
	}()
	id, secret, err := liveserve.WaitCredentials(data)
	if err != nil {
		return err
	}
	c := liveserve.Client(control, id, secret)
	svc, err := liveserve.ConfigureService(context.Background(), c, "soak", target.Addr().String())
	if err != nil {
		return fmt.Errorf("configuring trellis: %w", err)
	}
	host := aws.ToString(svc.DnsEntry.DomainName)

	l := &load{ingress: ingress, host: host, id: id, secret: secret}
	if err := l.waitAllowed(); err != nil {
		return err
	}
	// The memory trellis holds before the load starts, to tell what the
	// held connections cost.
	baseRSS, baseGoroutines, err := scrape(metrics)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() { l.work(ctx) })
	}
	if o.conns > 0 {
		wg.Go(func() { l.holdAll(ctx, &wg, o.conns, o.ramp, o.every) })
	}
	var changes, changeFailures atomic.Int64
	wg.Go(func() {
		t := time.NewTicker(o.change)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if err := reconfigure(ctx, c, svc, n); err != nil && ctx.Err() == nil {
				changeFailures.Add(1)
				log.Printf("configuration change %d: %v", n, err)
			}
			changes.Add(1)
		}
	})

	fmt.Printf("soak: %s, %d workers, %d held connections (a request every %s each), a configuration change every %s, a row every %s\n",
		o.duration, o.workers, o.conns, o.every, o.change, o.interval)
	fmt.Printf("trellis before the load: RSS %.1f MiB, %.0f goroutines\n\n", baseRSS/(1<<20), baseGoroutines)
	fmt.Printf("%8s  %9s  %9s  %9s  %10s  %8s  %10s  %6s\n", "elapsed", "req/s", "p50 ms", "p99 ms", "unexpected", "RSS MiB", "goroutines", "held")
	start := time.Now()
	t := time.NewTicker(o.interval)
	defer t.Stop()
	var total, unexpected int64
	var rows []row
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-t.C:
		}
		s := l.take()
		total += int64(len(s.latencies))
		unexpected += s.unexpected
		if done && s.span < o.interval/10 {
			break // the end fell just after a row: nothing new to show
		}
		rss, gor, err := scrape(metrics)
		rssCol, gorCol := "?", "?"
		if err == nil {
			rssCol, gorCol = fmt.Sprintf("%.1f", rss/(1<<20)), fmt.Sprintf("%.0f", gor)
			rows = append(rows, row{rss: rss, goroutines: gor, held: l.held.Load()})
		} else {
			log.Printf("metrics: %v", err)
		}
		el := time.Since(start)
		fmt.Printf("%8s  %9.0f  %9.2f  %9.2f  %10d  %8s  %10s  %6d\n", el.Round(time.Second), float64(len(s.latencies))/s.span.Seconds(),
			ms(percentile(s.latencies, 0.50)), ms(percentile(s.latencies, 0.99)), s.unexpected, rssCol, gorCol, l.held.Load())
	}
	cancel()
	wg.Wait()
	fmt.Printf("\n%d requests (%d allowed, %d denied as expected), %d unexpected; %d configuration changes, %d failed\n",
		total, l.allowed.Load(), l.denied.Load(), unexpected, changes.Load(), changeFailures.Load())
	growing := reportGrowth(rows)
	if o.conns > 0 && len(rows) > 0 {
		// The highest RSS while the most connections were held.
		peak := slices.MaxFunc(rows, func(a, b row) int {
			if a.held != b.held {
				return int(a.held - b.held)
			}
			return int(a.rss - b.rss)
		})
		fmt.Printf("held connections: %d at the peak; trellis RSS %.1f MiB (%.1f MiB before the load): %.1f KiB per held connection, %.1f goroutines per held connection\n",
			peak.held, peak.rss/(1<<20), baseRSS/(1<<20), (peak.rss-baseRSS)/1024/float64(max(peak.held, 1)), (peak.goroutines-baseGoroutines)/float64(max(peak.held, 1)))
	}
	if unexpected > 0 || changeFailures.Load() > 0 || growing {
		return errors.New("soak failed: see the unexpected answers, failed changes or growth above")
	}
	return nil
}

// row is what the metrics said at one row.
type row struct {
	rss, goroutines float64
	held            int64
}

// reportGrowth compares the peaks of the first and second halves of the
// run (leaving out the first row, the warm-up) and reports whether memory
// or goroutines kept growing: a second half whose peak RSS is more than
// 25% above the first's, or whose goroutines are more than 10% (and 20)
// above, is growth that did not level off.
func reportGrowth(rows []row) bool {
	if len(rows) < 5 {
		fmt.Println("too few rows to tell whether memory and goroutines level off (run longer, or with a shorter -interval)")
		return false
	}
	rows = rows[1:]
	half := len(rows) / 2
	peak := func(rs []row) (rss, gor float64) {
		for _, r := range rs {
			rss, gor = max(rss, r.rss), max(gor, r.goroutines)
		}
		return rss, gor
	}
	rss1, gor1 := peak(rows[:half])
	rss2, gor2 := peak(rows[half:])
	growing := rss2 > rss1*1.25 || gor2 > max(gor1*1.10, gor1+20)
	verdict := "levels off"
	if growing {
		verdict = "KEEPS GROWING"
	}
	fmt.Printf("peaks, first half / second half: RSS %.1f / %.1f MiB (%+.0f%%), goroutines %.0f / %.0f: %s\n",
		rss1/(1<<20), rss2/(1<<20), (rss2/rss1-1)*100, gor1, gor2, verdict)
	return growing
}

// load is the traffic: allowed and denied calls to one service.
type load struct {
	ingress, host, id, secret string
	allowed, denied           atomic.Int64
	// held counts the held connections open now.
	held atomic.Int64

	mu         sync.Mutex
	since      time.Time
	latencies  []time.Duration
	unexpected int64
	shown      int64
}

// sample is what happened since the previous one.
type sample struct {
	span       time.Duration
	latencies  []time.Duration
	unexpected int64
}

func (l *load) take() sample {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	s := sample{span: now.Sub(l.since), latencies: l.latencies, unexpected: l.unexpected}
	l.since, l.latencies, l.unexpected = now, nil, 0
	return s
}

// call sends one request, signed or not, and reports whether its answer
// was the expected one.
func (l *load) call(hc *http.Client, signer *sigv4.Signer, signed bool) (time.Duration, error) {
	req, _ := http.NewRequest("GET", "http://"+l.ingress+"/soak", nil)
	req.Host = l.host
	want := http.StatusForbidden
	if signed {
		want = http.StatusOK
		if _, err := signer.Sign(req, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: liveserve.Region, PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true}); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != want {
		return took, fmt.Errorf("%s call: status %d, want %d: %.200s", map[bool]string{true: "signed", false: "unsigned"}[signed], resp.StatusCode, want, body)
	}
	if signed {
		l.allowed.Add(1)
	} else {
		l.denied.Add(1)
	}
	return took, nil
}

// record notes the outcome of one call.
func (l *load) record(took time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.unexpected++
		// The first few are worth reading; the rest are counted.
		if l.shown < 5 {
			l.shown++
			log.Print(err)
		}
		return
	}
	l.latencies = append(l.latencies, took)
}

// holdAll opens n held connections, ramp a second, each in a goroutine of
// wg that keeps it busy until ctx ends.
func (l *load) holdAll(ctx context.Context, wg *sync.WaitGroup, n, ramp int, every time.Duration) {
	t := time.NewTicker(time.Second / time.Duration(ramp))
	defer t.Stop()
	for i := range n {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Spread the requests of the connections over the period.
		offset := every * time.Duration(i%ramp) / time.Duration(ramp)
		wg.Go(func() { l.hold(ctx, i%2 == 0, every, offset) })
	}
}

// hold keeps one keep-alive connection open, sending a request on it every
// period. A connection that fails counts as an unexpected answer and is
// opened again.
func (l *load) hold(ctx context.Context, signed bool, every, offset time.Duration) {
	signer := sigv4.NewSigner(l.id, sigv4.Credential{SecretAccessKey: l.secret}, nil)
	want := http.StatusForbidden
	if signed {
		want = http.StatusOK
	}
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	for ctx.Err() == nil {
		c, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(ctx, "tcp", l.ingress)
		if err != nil {
			if ctx.Err() == nil {
				l.record(0, fmt.Errorf("held connection: %w", err))
				wait(time.Second)
			}
			continue
		}
		l.held.Add(1)
		stop := context.AfterFunc(ctx, func() { c.Close() })
		br := bufio.NewReader(c)
		for next := offset; wait(next); next = every {
			req, _ := http.NewRequest("GET", "http://"+l.ingress+"/held", nil)
			req.Host = l.host
			if signed {
				if _, err := signer.Sign(req, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: liveserve.Region, PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true}); err != nil {
					log.Fatal(err)
				}
			}
			start := time.Now()
			err := req.Write(c)
			var resp *http.Response
			if err == nil {
				resp, err = http.ReadResponse(br, req)
			}
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != want {
					err = fmt.Errorf("status %d, want %d", resp.StatusCode, want)
				}
			}
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				l.record(0, fmt.Errorf("held connection: %w", err))
				break
			}
			if signed {
				l.allowed.Add(1)
			} else {
				l.denied.Add(1)
			}
			l.record(time.Since(start), nil)
		}
		stop()
		c.Close()
		l.held.Add(-1)
	}
}

func (l *load) work(ctx context.Context) {
	hc := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}, Timeout: 10 * time.Second}
	defer hc.CloseIdleConnections()
	signer := sigv4.NewSigner(l.id, sigv4.Credential{SecretAccessKey: l.secret}, nil)
	for n := 0; ctx.Err() == nil; n++ {
		took, err := l.call(hc, signer, n%2 == 0)
		if ctx.Err() != nil {
			return
		}
		l.record(took, err)
	}
}

// waitAllowed waits until the configuration reaches the gateway and the
// target's first health check passed.
func (l *load) waitAllowed() error {
	hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	signer := sigv4.NewSigner(l.id, sigv4.Credential{SecretAccessKey: l.secret}, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := l.call(hc, signer, true)
		if err == nil {
			l.allowed.Store(0)
			l.since = time.Now()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the service is not reachable through the gateway: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reconfigure makes change number n: an equivalent auth policy and a new
// tag value on the service.
func reconfigure(ctx context.Context, c *vpclattice.Client, svc *vpclattice.CreateServiceOutput, n int) error {
	if _, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: svc.Id, Policy: aws.String(liveserve.AccountPolicy("soak" + strconv.Itoa(n+1)))}); err != nil {
		return err
	}
	_, err := c.TagResource(ctx, &vpclattice.TagResourceInput{ResourceArn: svc.Arn, Tags: map[string]string{"soak-change": strconv.Itoa(n)}})
	return err
}

// scrape reads the resident memory and goroutines of trellis from its
// metrics listener.
func scrape(addr string) (rss, goroutines float64, err error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	found := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_resident_memory_bytes":
			rss, err = strconv.ParseFloat(value, 64)
			found++
		case "go_goroutines":
			goroutines, err = strconv.ParseFloat(value, 64)
			found++
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	if found != 2 {
		return 0, 0, errors.New("the metrics lack process_resident_memory_bytes or go_goroutines")
	}
	return rss, goroutines, sc.Err()
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[int(float64(len(d)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
