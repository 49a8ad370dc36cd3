// Command loadbench measures trellis's gateway under load on loopback and
// compares it, in the same run, with a bare Go target, Go's
// httputil.ReverseProxy in front of it and nginx's proxy_pass in front of
// it. It drives each with wrk and prints a Markdown table of throughput and
// latency with ratios, as docs/BENCHMARKS.md records them.
//
// Usage (from the repository root; needs wrk, and nginx for its row):
//
//	go run ./tools/loadbench [-duration 10s] [-connections 64] [-threads 2]
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
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/sigv4"
)

const (
	region  = "us-east-1"
	account = "000000000000"
	vpcID   = "vpc-0123456789abcdef0"
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
		}
	}
	var (
		duration    = flag.Duration("duration", 10*time.Second, "how long wrk runs against each server")
		connections = flag.Int("connections", 64, "wrk connections")
		threads     = flag.Int("threads", 2, "wrk threads")
		keep        = flag.Bool("keep", false, "keep the work directory (trellis data, nginx config, logs)")
		only        = flag.String("only", "", "run only these rows, comma-separated: target, reverseproxy, nginx, trellis")
		trellisEnv  = flag.String("trellis-env", "", "extra environment for the trellis process, such as GOGC=200 (space-separated)")
		trellisBin  = flag.String("trellis-bin", "", "run this trellis binary instead of building ./cmd/trellis (to compare two builds)")
		hold        = flag.Bool("hold", false, "start the servers, print the wrk command for each and wait for Ctrl-C instead of measuring (for profiling)")
	)
	flag.Parse()
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
	b := &bench{work: work, only: *only, hold: *hold, trellisBin: *trellisBin, trellisEnv: strings.Fields(*trellisEnv), wrkArgs: []string{"-t", strconv.Itoa(*threads), "-c", strconv.Itoa(*connections), "-d", duration.String(), "--latency"}}
	defer b.stopAll()
	if err := b.run(); err != nil {
		b.stopAll()
		log.Fatal(err)
	}
}

type bench struct {
	work       string
	only       string
	hold       bool
	trellisBin string
	trellisEnv []string
	wrkArgs    []string
	procs      []*exec.Cmd
	results    []result
}

type result struct {
	name     string
	rps      float64
	p50, p99 time.Duration
	non2xx   int
}

func (b *bench) run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	targetAddr := freeAddr()
	if err := b.start("target", self, "target", targetAddr); err != nil {
		return err
	}
	if b.wants("target") {
		if err := b.measure("bare Go target", "http://"+targetAddr+"/", nil); err != nil {
			return err
		}
	}

	if b.wants("reverseproxy") {
		proxyAddr := freeAddr()
		if err := b.start("reverseproxy", self, "reverseproxy", proxyAddr, targetAddr); err != nil {
			return err
		}
		if err := b.measure("httputil.ReverseProxy", "http://"+proxyAddr+"/", nil); err != nil {
			return err
		}
	}

	if nginx, err := exec.LookPath("nginx"); err != nil {
		log.Print("nginx is not installed (apt-get install nginx-light): its row is left out")
	} else if b.wants("nginx") {
		nginxAddr := freeAddr()
		conf, err := b.nginxConfig(nginxAddr, targetAddr)
		if err != nil {
			return err
		}
		if err := b.start("nginx", nginx, "-c", conf, "-p", b.work); err != nil {
			return err
		}
		if err := b.measure("nginx proxy_pass", "http://"+nginxAddr+"/", nil); err != nil {
			return err
		}
	}

	if !b.wants("trellis") {
		b.report(os.Stdout)
		return nil
	}
	ingressAddr, headers, err := b.startTrellis(targetAddr)
	if err != nil {
		return err
	}
	if err := b.measure("trellis, AWS_IAM, SigV4", "http://"+ingressAddr+"/", headers); err != nil {
		return err
	}
	if b.hold {
		fmt.Println("holding; Ctrl-C stops the servers")
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		return nil
	}
	b.report(os.Stdout)
	return nil
}

// wants reports whether -only selects the row.
func (b *bench) wants(row string) bool {
	return b.only == "" || slices.Contains(strings.Split(b.only, ","), row)
}

// start runs a server process and waits until its address accepts
// connections.
func (b *bench) start(name, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	if name == "trellis" {
		cmd.Env = append(os.Environ(), b.trellisEnv...)
	}
	logFile, err := os.Create(filepath.Join(b.work, name+".log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	b.procs = append(b.procs, cmd)
	return nil
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

// measure checks that url answers 200, then runs wrk against it.
func (b *bench) measure(name, url string, headers []string) error {
	if err := waitOK(url, headers); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	args := append([]string{}, b.wrkArgs...)
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, url)
	if b.hold {
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = strconv.Quote(a)
		}
		fmt.Printf("%s:\n  wrk %s\n", name, strings.Join(quoted, " "))
		return nil
	}
	out, err := exec.Command("wrk", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrk against %s: %v\n%s", name, err, out)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", name, err, out)
	}
	r.name = name
	log.Printf("%-28s %9.0f req/s  p50 %-9v p99 %-9v non-2xx %d", name, r.rps, r.p50, r.p99, r.non2xx)
	b.results = append(b.results, r)
	return nil
}

var (
	rpsLine    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	latLine    = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2xxLine = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
)

func parseWrk(out string) (result, error) {
	var r result
	m := rpsLine.FindStringSubmatch(out)
	if m == nil {
		return r, errors.New("no Requests/sec in wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
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

func (b *bench) report(w io.Writer) {
	find := func(prefix string) *result {
		for i := range b.results {
			if strings.HasPrefix(b.results[i].name, prefix) {
				return &b.results[i]
			}
		}
		return nil
	}
	rp, ng := find("httputil"), find("nginx")
	fmt.Fprintf(w, "\n| server | requests/s | p50 | p99 | × ReverseProxy | × nginx |\n|---|---|---|---|---|---|\n")
	for _, r := range b.results {
		ratio := func(base *result) string {
			if base == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f", r.rps/base.rps)
		}
		fmt.Fprintf(w, "| %s | %.0f | %v | %v | %s | %s |\n", r.name, r.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), ratio(rp), ratio(ng))
	}
	for _, r := range b.results {
		if r.non2xx > 0 {
			fmt.Fprintf(w, "\nwarning: %s answered %d requests with a status other than 2xx/3xx\n", r.name, r.non2xx)
		}
	}
}

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
		resp, err := http.DefaultClient.Do(req)
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

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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

// startTrellis builds and starts trellis serve with one ingress, configures
// a service in front of the target through the VPC Lattice API, and returns
// the ingress address and the headers of a signed request to the service.
func (b *bench) startTrellis(target string) (string, []string, error) {
	bin := b.trellisBin
	if bin == "" {
		bin = filepath.Join(b.work, "trellis")
		build := exec.Command("go", "build", "-o", bin, "./cmd/trellis")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return "", nil, fmt.Errorf("building trellis (run loadbench from the repository root): %w", err)
		}
	}
	control, ingress := freeAddr(), freeAddr()
	data := filepath.Join(b.work, "data")
	conf := filepath.Join(b.work, "trellis.yaml")
	cfg := fmt.Sprintf("data: %s\nlisten: %s\nregion: %s\naccount: %q\ngateway:\n  ingress:\n    - listen: %s\n      vpc: %s\n      listenerPort: 80\n",
		data, control, region, account, ingress, vpcID)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return "", nil, err
	}
	if err := b.start("trellis", bin, "serve", "--config", conf); err != nil {
		return "", nil, err
	}
	id, secret, err := waitCredentials(filepath.Join(data, "admin-credentials"))
	if err != nil {
		return "", nil, err
	}
	host, err := configureService(control, id, secret, target)
	if err != nil {
		return "", nil, fmt.Errorf("configuring trellis: %w", err)
	}
	req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
	s := sigv4.NewSigner(id, sigv4.Credential{SecretAccessKey: secret}, nil)
	if _, err := s.Sign(req, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: region, PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true}); err != nil {
		return "", nil, err
	}
	headers := []string{"Host: " + host}
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		headers = append(headers, k+": "+req.Header.Get(k))
	}
	return ingress, headers, nil
}

func waitCredentials(path string) (id, secret string, err error) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := os.Open(path)
		if err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), "=")
				switch strings.TrimSpace(k) {
				case "aws_access_key_id":
					id = strings.TrimSpace(v)
				case "aws_secret_access_key":
					secret = strings.TrimSpace(v)
				}
			}
			f.Close()
			if id != "" && secret != "" {
				return id, secret, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", "", fmt.Errorf("trellis did not write %s", path)
}

// configureService creates, through the VPC Lattice API, a service network
// and a service (both AWS_IAM, with auth policies that allow the account's
// principals), an HTTP listener forwarding to an IP target group with the
// target, and the associations; it returns the service's DNS name.
func configureService(control, id, secret, target string) (string, error) {
	ctx := context.Background()
	c := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String("http://" + control), Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		})})
	host, portStr, _ := net.SplitHostPort(target)
	port, _ := strconv.Atoi(portStr)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"%s"}}}]}`, account)

	sn, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("bench"), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return "", err
	}
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("target"), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return "", err
	}
	for _, res := range []*string{sn.Id, svc.Id} {
		if _, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: res, Policy: aws.String(policy)}); err != nil {
			return "", err
		}
	}
	tg, err := c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String("target"), Type: types.TargetGroupTypeIp,
		Config: &types.TargetGroupConfig{Port: aws.Int32(int32(port)), Protocol: types.TargetGroupProtocolHttp, VpcIdentifier: aws.String(vpcID)}})
	if err != nil {
		return "", err
	}
	if _, err := c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id, Targets: []types.Target{{Id: aws.String(host), Port: aws.Int32(int32(port))}}}); err != nil {
		return "", err
	}
	if _, err := c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp, Port: aws.Int32(80),
		DefaultAction: &types.RuleActionMemberForward{Value: types.ForwardAction{TargetGroups: []types.WeightedTargetGroup{{TargetGroupIdentifier: tg.Id, Weight: aws.Int32(1)}}}}}); err != nil {
		return "", err
	}
	if _, err := c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id}); err != nil {
		return "", err
	}
	if _, err := c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String(vpcID)}); err != nil {
		return "", err
	}
	return aws.ToString(svc.DnsEntry.DomainName), nil
}
