package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// h1Client sends requests to plain-HTTP/1.1 targets on the caller's own
// goroutine: it writes the request on a pooled connection and reads the
// answer from it, with none of the per-connection reader and writer
// goroutines of http.Transport. Under load that saves a scheduling round
// trip per request, which is most of what a proxy in front of a fast
// target spends. A connection returns to the pool when its answer has been
// read to the end.
type h1Client struct {
	dialer      net.Dialer
	maxIdle     int // per target address
	idleTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]*h1Conn
}

type h1Conn struct {
	net.Conn
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
}

func newH1Client() *h1Client {
	return &h1Client{
		dialer:      net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second},
		maxIdle:     1024,
		idleTimeout: 60 * time.Second,
		idle:        map[string][]*h1Conn{},
	}
}

// errReusedConnBroken is a failure on a pooled connection before any of
// the answer arrived: the target closed it while it was idle, and the
// request can be sent again on a new connection.
var errReusedConnBroken = errors.New("pooled connection closed by the target")

// RoundTrip sends r, whose URL.Host is the target's address, and returns
// the target's answer. It implements http.RoundTripper.
func (c *h1Client) RoundTrip(r *http.Request) (*http.Response, error) {
	addr := r.URL.Host
	replayable := r.Body == nil || r.Body == http.NoBody
	for {
		conn, reused, err := c.conn(r.Context(), addr)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(conn, r, reused)
		if errors.Is(err, errReusedConnBroken) && replayable {
			continue
		}
		return resp, err
	}
}

// conn returns an idle connection to addr, or dials one.
func (c *h1Client) conn(ctx context.Context, addr string) (*h1Conn, bool, error) {
	now := time.Now()
	c.mu.Lock()
	for {
		list := c.idle[addr]
		if len(list) == 0 {
			break
		}
		conn := list[len(list)-1]
		list[len(list)-1] = nil
		c.idle[addr] = list[:len(list)-1]
		if now.Sub(conn.lastUsed) < c.idleTimeout {
			c.mu.Unlock()
			return conn, true, nil
		}
		conn.Close()
	}
	c.mu.Unlock()
	nc, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	return &h1Conn{Conn: nc, br: bufio.NewReaderSize(nc, 16<<10), bw: bufio.NewWriterSize(nc, 8<<10)}, false, nil
}

// put returns a connection whose exchange is complete to the pool.
func (c *h1Client) put(addr string, conn *h1Conn) {
	conn.lastUsed = time.Now()
	c.mu.Lock()
	if list := c.idle[addr]; len(list) < c.maxIdle {
		c.idle[addr] = append(list, conn)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	conn.Close()
}

// CloseIdleConnections closes the pooled connections.
func (c *h1Client) CloseIdleConnections() {
	c.mu.Lock()
	idle := c.idle
	c.idle = map[string][]*h1Conn{}
	c.mu.Unlock()
	for _, list := range idle {
		for _, conn := range list {
			conn.Close()
		}
	}
}

// exchange writes r on conn and reads the answer's head. The connection
// is closed when the caller's context ends before the answer is read.
func (c *h1Client) exchange(conn *h1Conn, r *http.Request, reused bool) (*http.Response, error) {
	stop := context.AfterFunc(r.Context(), func() { conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error, nothingRead bool) (*http.Response, error) {
		stop()
		conn.Close()
		if ctxErr := r.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if reused && nothingRead {
			return nil, errReusedConnBroken
		}
		return nil, err
	}
	if err := r.Write(conn.bw); err != nil {
		return fail(err, true)
	}
	if err := conn.bw.Flush(); err != nil {
		return fail(err, true)
	}
	for {
		if _, err := conn.br.Peek(1); err != nil {
			return fail(err, true)
		}
		resp, err := http.ReadResponse(conn.br, r)
		if err != nil {
			return fail(err, false)
		}
		// Interim answers (100 Continue, 103 Early Hints) precede the
		// real one; 101 switches protocols and is not expected here.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		keep := !resp.Close && !r.Close
		resp.Body = &h1Body{rc: resp.Body, client: c, conn: conn, addr: r.URL.Host, stop: stop, keep: keep}
		return resp, nil
	}
}

// h1Body is an answer's body; reading it to the end gives the connection
// back to the pool, closing it early closes the connection.
type h1Body struct {
	rc     io.ReadCloser
	client *h1Client
	conn   *h1Conn
	addr   string
	stop   func() bool
	keep   bool
	done   bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(b.keep)
	case err != nil:
		b.finish(false)
	}
	return n, err
}

func (b *h1Body) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

// finish ends the exchange: the connection goes back to the pool when its
// answer was read whole and both sides keep it alive.
func (b *h1Body) finish(reuse bool) {
	b.done = true
	if b.stop() && reuse {
		b.client.put(b.addr, b.conn)
		return
	}
	b.conn.Close()
}
