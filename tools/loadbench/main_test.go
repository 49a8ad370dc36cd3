package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// wrkOutput is what wrk 4 printed for a run with --latency, and with
// non-2xx answers.
const (
	wrkOutput = `Running 1s test @ http://127.0.0.5:9011/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   358.64us    0.88ms   8.94ms   91.61%
    Req/Sec    54.32k     6.03k   66.51k    72.73%
  Latency Distribution
     50%   56.00us
     75%  175.00us
     90%    1.02ms
     99%    4.36ms
  118700 requests in 1.10s, 14.04MB read
Requests/sec: 107957.87
Transfer/sec:     12.77MB
`
	wrkNon2xx = `  Latency Distribution
     50%    2.10ms
     99%    1.20s
  5000 requests in 10.00s, 1.00MB read
  Non-2xx or 3xx responses: 17
Requests/sec:    500.00
`
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want result
		err  bool
	}{
		{"latency in µs and ms", wrkOutput, result{rps: 107957.87, requests: 118700, p50: 56 * time.Microsecond, p99: 4360 * time.Microsecond}, false},
		{"seconds and non-2xx answers", wrkNon2xx, result{rps: 500, requests: 5000, p50: 2100 * time.Microsecond, p99: 1200 * time.Millisecond, non2xx: 17}, false},
		{"not wrk's output", "unable to connect to 127.0.0.1:1 Connection refused\n", result{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want an error: %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	rps := func(x result) float64 { return x.rps }
	for _, tt := range []struct {
		runs []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		r := &row{}
		for _, v := range tt.runs {
			r.runs = append(r.runs, result{rps: v})
		}
		if got := r.median(rps); got != tt.want {
			t.Errorf("median of %v = %v, want %v", tt.runs, got, tt.want)
		}
	}
}

// TestMeasuringProxies checks that the minimal proxies forward requests,
// answers and, when asked, VPC Lattice's headers: a device that dropped
// them would measure less work than trellis does.
func TestMeasuringProxies(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s", r.Method, r.URL.RequestURI(), r.Header.Get("X-Amzn-Lattice-Target"))
	}))
	defer target.Close()
	targetAddr := strings.TrimPrefix(target.URL, "http://")
	for _, tt := range []struct {
		name  string
		serve func(addr, target string, work time.Duration, latticeHeaders bool)
	}{
		{"goproxy", serveGoProxy},
		{"rawproxy", serveRawProxy},
		{"loopproxy", serveLoopProxy},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "loopproxy" && runtime.GOOS != "linux" {
				t.Skip("the event-loop proxy uses Linux's epoll")
			}
			addr := mustFreeAddr()
			go tt.serve(addr, targetAddr, time.Microsecond, true)
			for deadline := time.Now().Add(5 * time.Second); ; {
				c, err := net.Dial("tcp", addr)
				if err == nil {
					c.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s does not listen on %s: %v", tt.name, addr, err)
				}
				time.Sleep(10 * time.Millisecond)
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			for i := range 3 {
				path := fmt.Sprintf("/call/%d?q=%d", i, i)
				resp, err := client.Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				want := "GET " + path + " " + latticeExample["X-Amzn-Lattice-Target"]
				if resp.StatusCode != http.StatusOK || string(body) != want {
					t.Errorf("GET %s: %d %q, want 200 %q", path, resp.StatusCode, body, want)
				}
			}
		})
	}
}
