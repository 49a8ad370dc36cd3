package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/sigv4"
)

// TestServeControlPlaneLimits checks that the controlPlane section's
// limits reach the control plane: a header section or a body over the
// limit is refused with its status, and connections over maxConnections
// wait until one closes.
func TestServeControlPlaneLimits(t *testing.T) {
	isolateAWSEnvironment(t)
	data := t.TempDir()
	s := startServer(t, data, func(c *serveConfig) {
		c.ControlPlane = controlPlaneLimits{MaxBodyBytes: 1000, MaxHeaderBytes: 4096, MaxConnections: 2}
	})
	addr := strings.TrimPrefix(s.url, "http://")
	id, secret := adminKey(t, data)
	send := func(t *testing.T, header http.Header, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest("POST", s.url+"/services", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		signer := sigv4.NewSigner(id, sigv4.Credential{SecretAccessKey: secret}, nil)
		if _, err := signer.Sign(req, sigv4.SignOptions{Service: "vpc-lattice", Region: defaultServeConfig().Region}); err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, tt := range []struct {
		name   string
		header http.Header
		body   string
		status int
		inBody string
	}{
		{"within the limits", nil, `{"name":"small"}`, 201, `"name":"small"`},
		{"header section over maxHeaderBytes", http.Header{"X-Padding": {strings.Repeat("a", 12000)}}, `{"name":"big-header"}`, 431, ""},
		{"body over maxBodyBytes", nil, `{"name":"big-body","tags":{"a":"` + strings.Repeat("b", 1200) + `"}}`, 400, "the request body is larger than 1000 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := send(t, tt.header, tt.body); status != tt.status || !strings.Contains(body, tt.inBody) {
				t.Errorf("%d %q, want %d with %q", status, body, tt.status, tt.inBody)
			}
		})
	}

	t.Run("maxConnections", func(t *testing.T) {
		var held []net.Conn
		for range 2 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			held = append(held, c)
		}
		// The two held connections fill the slots: a third is accepted
		// by the kernel but not served.
		third, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer third.Close()
		fmt.Fprintf(third, "GET /services HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
		answered := make(chan int, 1)
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(third), nil)
			if err != nil {
				answered <- 0
				return
			}
			resp.Body.Close()
			answered <- resp.StatusCode
		}()
		select {
		case status := <-answered:
			t.Fatalf("the third connection was served (%d) while two were held", status)
		case <-time.After(300 * time.Millisecond):
		}
		held[0].Close()
		select {
		case status := <-answered:
			if status != http.StatusForbidden { // unsigned
				t.Errorf("the third connection got %d, want 403 MissingAuthenticationToken", status)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the third connection was not served after a held one closed")
		}
	})
}
