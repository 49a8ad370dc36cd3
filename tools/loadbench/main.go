// Command loadbench measures trellis's gateway under load on loopback and
// compares it, in the same run, with a bare Go target, Go's
// httputil.ReverseProxy in front of it, a minimal Go proxy in front of it
// and nginx's proxy_pass in front of it. It drives each with wrk, in turn,
// for several rounds, and prints a Markdown table of the median throughput,
// latency and CPU time per request (from /proc, so Linux only) with ratios,
// as docs/BENCHMARKS.md records them.
//
// Usage (from the repository root; needs wrk, and nginx for its row):
//
//	go run ./tools/loadbench [-duration 10s] [-rounds 3] [-connections 64] [-threads 2]
//
// Every server gets the same request, signed with SigV4; only trellis
// checks the signature, the others pass its headers on.
//
// The trellis row runs the real binary: `trellis serve` with one ingress,
// configured through the VPC Lattice API as a user would (a service network
// and a service, both AWS_IAM with auth policies, a listener forwarding to a
// target group whose target is the bare target), and wrk sends a request
// signed with SigV4 for vpc-lattice-svcs by the administrator, so every
// request is verified and goes through every policy layer.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/trellisproject/trellis/internal/liveserve"
	"github.com/trellisproject/trellis/sigv4"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "target":
			serveTarget(os.Args[2])
			return
		case "reverseproxy":
			serveReverseProxy(os.Args[2], os.Args[3])
			return
		case "rawproxy":
			work, err := time.ParseDuration(os.Args[4])
			if err != nil {
				log.Fatal(err)
			}
			serveRawProxy(os.Args[2], os.Args[3], work, os.Args[5] == "true")
			return
		case "loopproxy":
			work, err := time.ParseDuration(os.Args[4])
			if err != nil {
				log.Fatal(err)
			}
			serveLoopProxy(os.Args[2], os.Args[3], work, os.Args[5] == "true")
			return
		case "goproxy":
			work, err := time.ParseDuration(os.Args[4])
			if err != nil {
				log.Fatal(err)
			}
			serveGoProxy(os.Args[2], os.Args[3], work, os.Args[5] == "true")
			return
		}
	}
	var (
		duration    = flag.Duration("duration", 10*time.Second, "how long wrk runs against each server, each round")
		connections = flag.Int("connections", 64, "wrk connections")
		threads     = flag.Int("threads", 2, "wrk threads")
		rounds      = flag.Int("rounds", 3, "how many times every server is measured, in turn; the table shows the medians")
		keep        = flag.Bool("keep", false, "keep the work directory (trellis data, nginx config, logs)")
		only        = flag.String("only", "", "run only these rows, comma-separated: target, reverseproxy, goproxy, rawproxy, loopproxy, nginx, trellis (both of its engines; rawproxy and loopproxy run only when named)")
		trellisEnv  = flag.String("trellis-env", "", "extra environment for the trellis process, such as GOGC=200 (space-separated)")
		trellisBin  = flag.String("trellis-bin", "", "run this trellis binary instead of building ./cmd/trellis (to compare two builds)")
		goproxyWork = flag.Duration("goproxy-work", 0, "busy work the minimal Go proxies (goproxy, rawproxy, loopproxy) do per request, such as 10µs (to see how p99 grows with the cost of a request)")
		goproxyHdrs = flag.Bool("goproxy-lattice-headers", false, "have the minimal Go proxies (goproxy, rawproxy, loopproxy) add the seven headers VPC Lattice adds, with values of their usual size")
		eventLoops  = flag.Int("event-loops", 0, "event loops of trellis's eventloop ingress (0: one per processor)")
		hold        = flag.Bool("hold", false, "start the servers, print the wrk command for each and wait for Ctrl-C instead of measuring (for profiling)")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./tools/loadbench [flags]  (from the repository root; needs wrk, and nginx for its row)\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *rounds < 1 {
		log.Fatal("-rounds must be at least 1")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		log.Fatal("wrk is not installed: apt-get install wrk")
	}
	work, err := os.MkdirTemp("", "trellis-loadbench-")
	if err != nil {
		log.Fatal(err)
	}
	if !*keep {
		defer os.RemoveAll(work)
	}
	b := &bench{work: work, only: *only, hold: *hold, rounds: *rounds, goproxyWork: *goproxyWork, goproxyHeaders: *goproxyHdrs, trellisBin: *trellisBin, eventLoops: *eventLoops, trellisEnv: strings.Fields(*trellisEnv),
		wrkArgs: []string{"-t", strconv.Itoa(*threads), "-c", strconv.Itoa(*connections), "-d", duration.String(), "--latency"}}
	defer b.stopAll()
	if err := b.run(); err != nil {
		b.stopAll()
		log.Fatal(err)
	}
}

type bench struct {
	work   string
	only   string
	hold   bool
	rounds int
	// goproxyWork is the busy work per request of the minimal Go proxy.
	goproxyWork time.Duration
	// goproxyHeaders has the minimal Go proxy add VPC Lattice's headers.
	goproxyHeaders bool
	trellisBin     string
	eventLoops     int
	trellisEnv     []string
	wrkArgs        []string
	procs          []*exec.Cmd
	rows           []*row
}

// A row is one server under test and its measurements, one per round.
type row struct {
	name string
	url  string
	pid  int // the server's process, whose CPU time (and its children's) is counted
	runs []result
}

type result struct {
	rps      float64
	requests int
	p50, p99 time.Duration
	// cpu is the server's CPU time (user and system) per request.
	cpu    time.Duration
	non2xx int
}

func (b *bench) run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	targetAddr := mustFreeAddr()
	target, err := b.start("target", self, "target", targetAddr)
	if err != nil {
		return err
	}
	if b.wants("target") {
		b.add("bare Go target", targetAddr, target)
	}
	if b.wants("reverseproxy") {
		addr := mustFreeAddr()
		cmd, err := b.start("reverseproxy", self, "reverseproxy", addr, targetAddr)
		if err != nil {
			return err
		}
		b.add("httputil.ReverseProxy", addr, cmd)
	}
	if b.wants("goproxy") {
		addr := mustFreeAddr()
		cmd, err := b.start("goproxy", self, "goproxy", addr, targetAddr, b.goproxyWork.String(), strconv.FormatBool(b.goproxyHeaders))
		if err != nil {
			return err
		}
		b.add(b.proxyName("minimal Go proxy"), addr, cmd)
	}
	if b.named("rawproxy") {
		addr := mustFreeAddr()
		cmd, err := b.start("rawproxy", self, "rawproxy", addr, targetAddr, b.goproxyWork.String(), strconv.FormatBool(b.goproxyHeaders))
		if err != nil {
			return err
		}
		b.add(b.proxyName("Go proxy without net/http's server"), addr, cmd)
	}
	if b.named("loopproxy") {
		addr := mustFreeAddr()
		cmd, err := b.start("loopproxy", self, "loopproxy", addr, targetAddr, b.goproxyWork.String(), strconv.FormatBool(b.goproxyHeaders))
		if err != nil {
			return err
		}
		b.add(b.proxyName("Go event-loop proxy"), addr, cmd)
	}
	if nginx, err := exec.LookPath("nginx"); err != nil {
		log.Print("nginx is not installed (apt-get install nginx-light): its row is left out")
	} else if b.wants("nginx") {
		addr := mustFreeAddr()
		conf, err := b.nginxConfig(addr, targetAddr)
		if err != nil {
			return err
		}
		cmd, err := b.start("nginx", nginx, "-c", conf, "-p", b.work)
		if err != nil {
			return err
		}
		b.add("nginx proxy_pass", addr, cmd)
	}
	// Every row gets the same request: a GET signed with SigV4 for
	// vpc-lattice-svcs. Only trellis checks the signature; the others
	// pass its headers on to the target, as they would any others. Without
	// the trellis row, a made-up key signs it.
	sign := func() ([]string, error) {
		return signedHeaders("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "target-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-east-1.on.aws")
	}
	if b.wants("trellis") {
		cmd, ingresses, id, secret, host, err := b.startTrellis(targetAddr)
		if err != nil {
			return err
		}
		sign = func() ([]string, error) { return signedHeaders(id, secret, host) }
		b.add("trellis, AWS_IAM, SigV4", ingresses[0], cmd)
		b.add("trellis, AWS_IAM, SigV4, event loop", ingresses[1], cmd)
	}
	if len(b.rows) == 0 {
		return fmt.Errorf("-only %q selects no row", b.only)
	}

	headers, err := sign()
	if err != nil {
		return err
	}
	for _, r := range b.rows {
		if err := waitOK(r.url, headers); err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
	}
	if b.hold {
		for _, r := range b.rows {
			fmt.Printf("%s:\n  wrk %s\n", r.name, shellQuote(b.wrkCommand(r.url, headers)))
		}
		fmt.Println("holding; Ctrl-C stops the servers (the signature is good for 15 minutes)")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return nil
	}
	for round := 1; round <= b.rounds; round++ {
		// Signed afresh each round, so that long runs stay within the
		// 15 minutes a signature is good for.
		if headers, err = sign(); err != nil {
			return err
		}
		for _, r := range b.rows {
			res, err := b.measure(r, headers)
			if err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
			log.Printf("round %d/%d  %-26s %9.0f req/s  p50 %-9v p99 %-9v CPU %v/request  non-2xx %d", round, b.rounds, r.name, res.rps, res.p50, res.p99, res.cpu, res.non2xx)
			r.runs = append(r.runs, res)
		}
	}
	b.report(os.Stdout)
	return nil
}

func (b *bench) add(name, addr string, cmd *exec.Cmd) {
	b.rows = append(b.rows, &row{name: name, url: "http://" + addr + "/", pid: cmd.Process.Pid})
}

// signedHeaders returns the headers of a GET to host signed with SigV4 for
// vpc-lattice-svcs, as wrk -H arguments.
func signedHeaders(id, secret, host string) ([]string, error) {
	req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
	s := sigv4.NewSigner(id, sigv4.Credential{SecretAccessKey: secret}, nil)
	if _, err := s.Sign(req, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: liveserve.Region, PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true}); err != nil {
		return nil, err
	}
	headers := []string{"Host: " + host}
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		headers = append(headers, k+": "+req.Header.Get(k))
	}
	return headers, nil
}

func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	return strings.Join(quoted, " ")
}

// proxyName names a minimal Go proxy's row with what it was asked to do.
func (b *bench) proxyName(name string) string {
	if b.goproxyWork > 0 {
		name += fmt.Sprintf(", %v of work", b.goproxyWork)
	}
	if b.goproxyHeaders {
		name += ", Lattice's headers"
	}
	return name
}

// named reports whether -only names the row: for rows that run only on
// request.
func (b *bench) named(row string) bool {
	return slices.Contains(strings.Split(b.only, ","), row)
}

// wants reports whether -only selects the row.
func (b *bench) wants(row string) bool {
	return b.only == "" || slices.Contains(strings.Split(b.only, ","), row)
}

// start runs a server process and waits until its address accepts
// connections.
func (b *bench) start(name, bin string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	if name == "trellis" {
		cmd.Env = append(os.Environ(), b.trellisEnv...)
	}
	logFile, err := os.Create(filepath.Join(b.work, name+".log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	b.procs = append(b.procs, cmd)
	return cmd, nil
}

func (b *bench) stopAll() {
	for _, p := range b.procs {
		if p.Process != nil {
			p.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				p.Process.Kill()
			}
		}
	}
	b.procs = nil
}

func (b *bench) wrkCommand(url string, headers []string) []string {
	args := append([]string{}, b.wrkArgs...)
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	return append(args, url)
}

// measure runs wrk against a row's server once, and reads how much CPU
// time the server's processes used meanwhile.
func (b *bench) measure(r *row, headers []string) (result, error) {
	before, err := cpuTime(r.pid)
	if err != nil {
		return result{}, err
	}
	out, err := exec.Command("wrk", b.wrkCommand(r.url, headers)...).CombinedOutput()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	after, err := cpuTime(r.pid)
	if err != nil {
		return result{}, err
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return result{}, fmt.Errorf("%v\n%s", err, out)
	}
	if res.requests > 0 {
		res.cpu = (after - before) / time.Duration(res.requests)
	}
	return res, nil
}

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpuTime returns the user and system CPU time of process pid and of its
// children (nginx's workers), from /proc.
func cpuTime(pid int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("reading CPU times (Linux only): %w", err)
	}
	var total time.Duration
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// The command name, in parentheses, may hold spaces: the fields
		// that follow it are counted from its closing parenthesis.
		f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if p != pid && ppid != pid {
			continue
		}
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * clockTick
	}
	return total, nil
}

var (
	requestsLine = regexp.MustCompile(`(\d+) requests in`)
	rpsLine      = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latLine      = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxLine   = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
)

func parseWrk(out string) (result, error) {
	var r result
	m := rpsLine.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("no Requests/sec in wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := requestsLine.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	for _, l := range latLine.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		d := time.Duration(v * float64(map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[l[3]]))
		if l[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := non2xxLine.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	return r, nil
}

// median returns the median of the runs' values of f.
func (r *row) median(f func(result) float64) float64 {
	v := make([]float64, len(r.runs))
	for i, run := range r.runs {
		v[i] = f(run)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

func (b *bench) report(w io.Writer) {
	find := func(prefix string) *row {
		for _, r := range b.rows {
			if strings.HasPrefix(r.name, prefix) {
				return r
			}
		}
		return nil
	}
	rps := func(x result) float64 { return x.rps }
	p50 := func(x result) float64 { return float64(x.p50) }
	p99 := func(x result) float64 { return float64(x.p99) }
	dur := func(f float64) time.Duration { return time.Duration(f).Round(10 * time.Microsecond) }
	rp, ng := find("httputil"), find("nginx")
	fmt.Fprintf(w, "\nMedians of %d rounds (wrk %s each).\n\n", b.rounds, strings.Join(b.wrkArgs, " "))
	cpu := func(x result) float64 { return float64(x.cpu) }
	fmt.Fprintf(w, "| server | requests/s | p50 | p99 | p99, each round | CPU per request | × ReverseProxy | × nginx | p99 ÷ nginx's |\n|---|--:|--:|--:|---|--:|--:|--:|--:|\n")
	for _, r := range b.rows {
		ratio := func(base *row, f func(result) float64) string {
			if base == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f", r.median(f)/base.median(f))
		}
		each := make([]string, len(r.runs))
		for i, run := range r.runs {
			each[i] = run.p99.Round(10 * time.Microsecond).String()
		}
		fmt.Fprintf(w, "| %s | %.0f | %v | %v | %s | %.1f µs | %s | %s | %s |\n", r.name, r.median(rps), dur(r.median(p50)), dur(r.median(p99)),
			strings.Join(each, ", "), r.median(cpu)/1e3, ratio(rp, rps), ratio(ng, rps), ratio(ng, p99))
	}
	for _, r := range b.rows {
		for _, run := range r.runs {
			if run.non2xx > 0 {
				fmt.Fprintf(w, "\nwarning: %s answered %d requests with a status other than 2xx/3xx in a round\n", r.name, run.non2xx)
				break
			}
		}
	}
}

var waitClient = &http.Client{Timeout: 5 * time.Second}

func waitOK(url string, headers []string) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest("GET", url, nil)
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			if strings.EqualFold(k, "Host") {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := waitClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mustFreeAddr returns a free loopback address or ends the run.
func mustFreeAddr() string {
	addr, err := liveserve.FreeAddr()
	if err != nil {
		log.Fatal(err)
	}
	return addr
}

// serveTarget is the bare target: a small fixed answer.
func serveTarget(addr string) {
	body := []byte("hello from the target\n")
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})))
}

// serveReverseProxy is httputil.ReverseProxy with its defaults, as a Go
// program would put it in front of a service.
func serveReverseProxy(addr, target string) {
	u := &url.URL{Scheme: "http", Host: target}
	log.Fatal(http.ListenAndServe(addr, httputil.NewSingleHostReverseProxy(u)))
}

// serveGoProxy is the least a Go proxy can do, built as trellis's gateway
// is: net/http's server, and each request written on a pooled keep-alive
// connection to the target and its answer read back on the handler's own
// goroutine, with no checks and no headers added. Its row is the floor
// under any proxy of that design on the machine. work is busy work done
// for each request, standing for what a real proxy decides; with
// latticeHeaders it adds the headers VPC Lattice adds for targets, so that
// their cost to the proxy and the target can be told apart.
func serveGoProxy(addr, target string, work time.Duration, latticeHeaders bool) {
	type conn struct {
		net.Conn
		br *bufio.Reader
		bw *bufio.Writer
	}
	idle := make(chan *conn, 1024)
	log.Fatal(http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if work > 0 {
			busy(work)
		}
		var c *conn
		select {
		case c = <-idle:
		default:
			nc, err := net.Dial("tcp", target)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			c = &conn{Conn: nc, br: bufio.NewReader(nc), bw: bufio.NewWriter(nc)}
		}
		out := &http.Request{Method: r.Method, URL: &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: withLatticeHeaders(r.Header, latticeHeaders), Host: r.Host}
		err := out.Write(c.bw)
		if err == nil {
			err = c.bw.Flush()
		}
		if err != nil {
			c.Close()
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp, err := http.ReadResponse(c.br, out)
		if err != nil {
			c.Close()
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, err = io.Copy(w, resp.Body)
		resp.Body.Close()
		if err != nil || resp.Close {
			c.Close()
			return
		}
		select {
		case idle <- c:
		default:
			c.Close()
		}
	})))
}

// serveRawProxy is a Go proxy without net/http's server: one goroutine per
// caller connection reads each request with http.ReadRequest, sends it on
// a connection to the target of its own, and writes the answer back with
// a Content-Length, flushing when no further request is waiting. It is
// not a server to deploy (no limits, timeouts, bodies, streaming or
// HTTP/2); it measures what a proxy of this machine's Go gains by
// leaving out the per-request work of net/http's server. work and
// latticeHeaders are serveGoProxy's.
func serveRawProxy(addr, target string, work time.Duration, latticeHeaders bool) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			br, bw := bufio.NewReader(c), bufio.NewWriter(c)
			up, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer up.Close()
			ubr, ubw := bufio.NewReader(up), bufio.NewWriter(up)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if work > 0 {
					busy(work)
				}
				out := &http.Request{Method: req.Method, URL: req.URL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: withLatticeHeaders(req.Header, latticeHeaders), Host: req.Host}
				if err := out.Write(ubw); err != nil || ubw.Flush() != nil {
					return
				}
				resp, err := http.ReadResponse(ubr, out)
				if err != nil {
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					return
				}
				resp.Header.Del("Content-Length")
				fmt.Fprintf(bw, "HTTP/1.1 %03d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
				resp.Header.Write(bw)
				fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", len(body))
				bw.Write(body)
				if br.Buffered() == 0 && bw.Flush() != nil {
					return
				}
			}
		}()
	}
}

// latticeExample is what VPC Lattice adds to a request for its target, as
// trellis's gateway sets it for the benchmark's call.
var latticeExample = map[string]string{
	"X-Amzn-Lattice-Identity": "Principal=arn:aws:iam::000000000000:user/admin; Type=AWS_IAM",
	"X-Amzn-Lattice-Network":  "SourceVpcArn=arn:aws:ec2:us-east-1:000000000000:vpc/vpc-0123456789abcdef0",
	"X-Amzn-Lattice-Target": "ServiceArn=arn:aws:vpc-lattice:us-east-1:000000000000:service/svc-0123456789abcdef0; " +
		"ServiceNetworkArn=arn:aws:vpc-lattice:us-east-1:000000000000:servicenetwork/sn-0123456789abcdef0; " +
		"TargetGroupArn=arn:aws:vpc-lattice:us-east-1:000000000000:targetgroup/tg-0123456789abcdef0",
	"X-Amzn-Source-Vpc": "vpc-0123456789abcdef0",
	"X-Forwarded-For":   "127.0.0.1",
	"X-Forwarded-Port":  "80",
	"X-Forwarded-Proto": "http",
}

// withLatticeHeaders returns h, or, when add is set, a copy of h with
// latticeExample's headers.
func withLatticeHeaders(h http.Header, add bool) http.Header {
	if !add {
		return h
	}
	h = h.Clone()
	for name, value := range latticeExample {
		h[name] = []string{value}
	}
	return h
}

// busyState keeps busy's arithmetic from being optimised away.
var busyState atomic.Uint64

// busy computes for d of wall-clock time.
func busy(d time.Duration) {
	x := busyState.Load() | 1
	for start := time.Now(); time.Since(start) < d; {
		for range 64 {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	busyState.Store(x)
}

func (b *bench) nginxConfig(addr, target string) (string, error) {
	conf := fmt.Sprintf(`worker_processes auto;
daemon off;
pid %[1]s/nginx.pid;
error_log %[1]s/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/nginx-body;
  proxy_temp_path %[1]s/nginx-proxy;
  fastcgi_temp_path %[1]s/nginx-fastcgi;
  uwsgi_temp_path %[1]s/nginx-uwsgi;
  scgi_temp_path %[1]s/nginx-scgi;
  server {
    listen %[2]s;
    location / { proxy_pass http://%[3]s; }
  }
}
`, b.work, addr, target)
	path := filepath.Join(b.work, "nginx.conf")
	return path, os.WriteFile(path, []byte(conf), 0o644)
}

// startTrellis builds and starts trellis serve with two ingresses, one per
// engine (goroutines, then event loops), configures
// a service in front of the target through the VPC Lattice API, and returns
// the ingress address, the administrator's key and the service's name.
func (b *bench) startTrellis(target string) (cmd *exec.Cmd, ingressAddrs [2]string, id, secret, host string, err error) {
	bin := b.trellisBin
	if bin == "" {
		bin = filepath.Join(b.work, "trellis")
		if err := liveserve.Build(bin); err != nil {
			return nil, ingressAddrs, "", "", "", err
		}
	}
	control := mustFreeAddr()
	ingressAddrs = [2]string{mustFreeAddr(), mustFreeAddr()}
	data := filepath.Join(b.work, "data")
	conf := filepath.Join(b.work, "trellis.yaml")
	cfg := fmt.Sprintf("data: %s\nlisten: %s\nregion: %s\naccount: %q\ngateway:\n  ingress:\n"+
		"    - listen: %s\n      vpc: %s\n      listenerPort: 80\n      engine: goroutines\n"+
		"    - listen: %s\n      vpc: %s\n      listenerPort: 80\n      engine: eventloop\n      eventLoops: %d\n",
		data, control, liveserve.Region, liveserve.Account, ingressAddrs[0], liveserve.VPC, ingressAddrs[1], liveserve.VPC, b.eventLoops)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return nil, ingressAddrs, "", "", "", err
	}
	if cmd, err = b.start("trellis", bin, "serve", "--config", conf); err != nil {
		return nil, ingressAddrs, "", "", "", err
	}
	if id, secret, err = liveserve.WaitCredentials(data); err != nil {
		return nil, ingressAddrs, "", "", "", err
	}
	svc, err := liveserve.ConfigureService(context.Background(), liveserve.Client(control, id, secret), "bench", target)
	if err != nil {
		return nil, ingressAddrs, "", "", "", fmt.Errorf("configuring trellis: %w", err)
	}
	return cmd, ingressAddrs, id, secret, aws.ToString(svc.DnsEntry.DomainName), nil
}
