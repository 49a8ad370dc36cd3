package gateway_test

import (
	"fmt"
	"github.com/trellisproject/trellis/gateway"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time.
func cpuTime(t *testing.T) time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.Atoi(f[11])
	s, _ := strconv.Atoi(f[12])
	return time.Duration(u+s) * time.Second / 100 // USER_HZ
}

// A caller that stops reading, with an answer pending, and half-closes its
// side: the loop waits for EPOLLOUT|EPOLLRDHUP; RDHUP is level-triggered
// and never handled while c.out is not empty, so epoll_wait returns at
// once, forever.
func TestEnginesHalfCloseWithPendingAnswer(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	for _, engine := range bothEngines {
		t.Run(engine, func(t *testing.T) {
			target := engineTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(big)))
				io.WriteString(w, big)
			}))
			addr, _ := engineGateway(t, target, engine, gateway.Ingress{}, nil)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.(*net.TCPConn).SetReadBuffer(4096)
			for i := range 200 {
				fmt.Fprintf(c, "GET /%d HTTP/1.1\r\nHost: billing.example.com\r\n\r\n", i)
			}
			time.Sleep(500 * time.Millisecond) // answers fill the socket
			c.(*net.TCPConn).CloseWrite()
			time.Sleep(100 * time.Millisecond)
			before := cpuTime(t)
			time.Sleep(time.Second)
			used := cpuTime(t) - before
			t.Logf("CPU used in 1s while the caller neither reads nor sends: %v", used)
			if used > 500*time.Millisecond {
				t.Errorf("the engine spins: %v of CPU in 1s", used)
			}
		})
	}
}
