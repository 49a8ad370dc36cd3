package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
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

	mu     sync.Mutex
	idle   map[string][]*h1Conn
	reaper *time.Timer // closes connections idle too long
}

type h1Conn struct {
	net.Conn
	raw      syscall.RawConn // to peek at it while idle
	head     headLimit       // under br: bounds an answer's head
	br       *bufio.Reader
	bw       *bufio.Writer
	lastUsed time.Time
}

// maxAnswerHead bounds the status line and headers of a target's answer,
// as http.Transport's MaxResponseHeaderBytes does (with a tenth of its
// default): a target cannot make the gateway hold an endless head.
const maxAnswerHead = 1 << 20

// headLimit reads from a connection, failing once more than n bytes are
// read while n is not negative.
type headLimit struct {
	r io.Reader
	n int64
}

var errAnswerHeadTooLarge = errors.New("the target's answer head is larger than 1 MiB")

func (h *headLimit) Read(p []byte) (int, error) {
	if h.n < 0 {
		return h.r.Read(p)
	}
	if h.n == 0 {
		return 0, errAnswerHeadTooLarge
	}
	if int64(len(p)) > h.n {
		p = p[:h.n]
	}
	n, err := h.r.Read(p)
	h.n -= int64(n)
	return n, err
}

// idempotent reports whether a request may be sent again when a pooled
// connection fails before any answer: the methods RFC 9110 calls
// idempotent, as net/http's transport does.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
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
	replayable := (r.Body == nil || r.Body == http.NoBody) && idempotent(r.Method)
	return c.do(r.Context(), r.URL.Host, outbound{req: r}, replayable, time.Time{})
}

// forward sends a request without a body on the gateway's behalf: r as the
// caller sent it, checked by checkForwardHead, to fw.target with fw's
// headers. It writes the request
// head straight from the caller's header, without building an outgoing
// http.Request, and bounds the wait for the answer's head by timeout
// (none when zero) with the connection's deadline rather than a timer and
// a context of its own.
func (c *h1Client) forward(r *http.Request, fw *forward, timeout time.Duration) (*http.Response, error) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	resp, err := c.do(r.Context(), fw.target.Host, outbound{req: r, fw: fw}, idempotent(r.Method), deadline)
	if errors.Is(err, errUpstreamTimeout) {
		err = fmt.Errorf("%w (%s)", errUpstreamTimeout, timeout)
	}
	return resp, err
}

// outbound is a request to write: req itself, or, when fw is set, the
// caller's request req as the gateway forwards it.
type outbound struct {
	req *http.Request
	fw  *forward
}

func (o outbound) write(bw *bufio.Writer) error {
	if o.fw == nil {
		return o.req.Write(bw)
	}
	return writeForwardHead(bw, o.req, o.fw)
}

// do sends out to addr on a pooled or new connection, once more on a new
// one when a pooled connection turns out to be closed and the request can
// be sent again. A non-zero deadline bounds everything up to the answer's
// head.
func (c *h1Client) do(ctx context.Context, addr string, out outbound, replayable bool, deadline time.Time) (*http.Response, error) {
	for {
		conn, reused, err := c.conn(ctx, addr, deadline)
		if err != nil {
			if ctx.Err() == nil && timedOut(err, deadline) {
				return nil, errUpstreamTimeout
			}
			return nil, err
		}
		resp, err := c.exchange(ctx, conn, addr, out, reused, deadline)
		if errors.Is(err, errReusedConnBroken) && replayable {
			continue
		}
		return resp, err
	}
}

// timedOut reports whether err is the deadline of an exchange passing,
// rather than another failure such as the dialer's own timeout.
func timedOut(err error, deadline time.Time) bool {
	var ne net.Error
	return !deadline.IsZero() && errors.As(err, &ne) && ne.Timeout() && !time.Now().Before(deadline)
}

// conn returns an idle connection to addr, or dials one (by deadline, when
// it is not zero).
func (c *h1Client) conn(ctx context.Context, addr string, deadline time.Time) (*h1Conn, bool, error) {
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
		if now.Sub(conn.lastUsed) < c.idleTimeout && !unsolicited(conn.raw) {
			c.mu.Unlock()
			return conn, true, nil
		}
		conn.Close()
	}
	c.mu.Unlock()
	d := c.dialer
	d.Deadline = deadline
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, false, err
	}
	conn := &h1Conn{Conn: nc, raw: rawConn(nc), head: headLimit{r: nc, n: -1}, bw: bufio.NewWriterSize(nc, 8<<10)}
	conn.br = bufio.NewReaderSize(&conn.head, 16<<10)
	return conn, false, nil
}

// put returns a connection whose exchange is complete to the pool.
func (c *h1Client) put(addr string, conn *h1Conn) {
	conn.lastUsed = time.Now()
	c.mu.Lock()
	if list := c.idle[addr]; len(list) < c.maxIdle {
		c.idle[addr] = append(list, conn)
		if c.reaper == nil {
			c.reaper = time.AfterFunc(c.idleTimeout, c.reap)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	conn.Close()
}

// reap closes the connections idle longer than the idle timeout (their
// target may be gone for good), and runs again while some remain.
func (c *h1Client) reap() {
	now := time.Now()
	var old []*h1Conn
	c.mu.Lock()
	for addr, list := range c.idle {
		kept := list[:0]
		for _, conn := range list {
			if now.Sub(conn.lastUsed) < c.idleTimeout {
				kept = append(kept, conn)
			} else {
				old = append(old, conn)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(c.idle, addr)
		} else {
			c.idle[addr] = kept
		}
	}
	if len(c.idle) > 0 {
		c.reaper.Reset(c.idleTimeout / 2)
	} else {
		c.reaper = nil
	}
	c.mu.Unlock()
	for _, conn := range old {
		conn.Close()
	}
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

// exchange writes out on conn and reads the answer's head. The connection
// is closed when ctx ends before the answer is read, and when the
// deadline, if any, passes first.
func (c *h1Client) exchange(ctx context.Context, conn *h1Conn, addr string, out outbound, reused bool, deadline time.Time) (*http.Response, error) {
	if !deadline.IsZero() {
		conn.SetDeadline(deadline)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error, nothingRead bool) (*http.Response, error) {
		stop()
		conn.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		if timedOut(err, deadline) {
			return nil, errUpstreamTimeout
		}
		if reused && nothingRead {
			return nil, errReusedConnBroken
		}
		return nil, err
	}
	if err := out.write(conn.bw); err != nil {
		return fail(err, true)
	}
	if err := conn.bw.Flush(); err != nil {
		return fail(err, true)
	}
	conn.head.n = maxAnswerHead + int64(conn.br.Buffered())
	for {
		if _, err := conn.br.Peek(1); err != nil {
			return fail(err, true)
		}
		resp, err := http.ReadResponse(conn.br, out.req)
		if err != nil {
			return fail(err, false)
		}
		if err := checkAnswerStatus(resp.StatusCode); err != nil {
			return fail(err, false)
		}
		// Interim answers (100 Continue, 103 Early Hints) precede the
		// real one.
		if resp.StatusCode < 200 {
			continue
		}
		conn.head.n = -1
		if !deadline.IsZero() {
			// The body is not bounded: a stream that has started goes on
			// for as long as both sides want. A cancellation that came
			// while the deadline was being cleared still applies.
			conn.SetDeadline(time.Time{})
			if ctx.Err() != nil {
				conn.SetDeadline(time.Unix(1, 0))
			}
		}
		keep := !resp.Close && (out.fw != nil || !out.req.Close)
		if bodylessAnswer(out.req.Method, resp.StatusCode) && conn.br.Buffered() > 0 {
			// Bytes after an answer that has no body: the target and
			// the gateway disagree on where answers end.
			keep = false
		}
		resp.Body = &h1Body{rc: resp.Body, client: c, conn: conn, addr: addr, stop: stop, keep: keep}
		return resp, nil
	}
}

// checkForwardHead checks what the gateway would write for r: its method,
// target and Host, the caller's headers it passes on and fw's headers,
// with the rules of net/http's Request.Write, so that nothing a caller
// sent can split the request the target reads. A request that fails is
// the caller's error, found before any connection to the target is used.
func checkForwardHead(r *http.Request, fw *forward) error {
	return checkForward(r, fw, true)
}

// checkForward is checkForwardHead, without the caller's header names
// and values when callerHeaders is false: an event loop has checked all
// of them already (eventLoop.servable), as net/http's server does.
func checkForward(r *http.Request, fw *forward, callerHeaders bool) error {
	if !httpguts.ValidHostHeader(r.Host) {
		return errors.New("invalid Host header")
	}
	if !httpguts.ValidHeaderFieldName(r.Method) { // a method is a token too
		return fmt.Errorf("invalid method %q", r.Method)
	}
	// The path is written escaped; the query and an opaque target are
	// written as they came.
	if hasSpaceOrCTL(r.URL.RawQuery) || hasSpaceOrCTL(r.URL.Opaque) {
		return errors.New("the request target contains a space or a control character")
	}
	if callerHeaders {
		connection := r.Header["Connection"]
		for name, values := range r.Header {
			if !passedOn(name, values, connection) {
				continue
			}
			if !httpguts.ValidHeaderFieldName(name) {
				return fmt.Errorf("invalid header field name %q", name)
			}
			for _, v := range values {
				if !httpguts.ValidHeaderFieldValue(v) {
					return fmt.Errorf("invalid value for header field %q", name)
				}
			}
		}
	}
	for i, name := range forwardHeaders {
		if !httpguts.ValidHeaderFieldValue(fw.headers[i]) {
			return fmt.Errorf("invalid value for header field %q", name)
		}
	}
	return nil
}

// writeForwardHead writes the head of the request the gateway sends for
// r, which has no body and has passed checkForwardHead: the caller's
// request line and Host, the caller's headers that are passed on, and
// fw's headers.
func writeForwardHead(bw *bufio.Writer, r *http.Request, fw *forward) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(r.URL.RequestURI())
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(r.Host)
	bw.WriteString("\r\n")
	connection := r.Header["Connection"]
	for name, values := range r.Header {
		if !passedOn(name, values, connection) || name == "Host" || name == "Content-Length" {
			continue
		}
		for _, v := range values {
			writeHeaderLine(bw, name, v)
		}
	}
	for i, name := range forwardHeaders {
		writeHeaderLine(bw, name, fw.headers[i])
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		// As net/http does: these methods say when their body is empty.
		bw.WriteString("Content-Length: 0\r\n")
	}
	_, err := bw.WriteString("\r\n")
	return err
}

func writeHeaderLine(bw *bufio.Writer, name, value string) {
	bw.WriteString(name)
	bw.WriteString(": ")
	bw.WriteString(textproto.TrimString(value))
	bw.WriteString("\r\n")
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
	// Bytes beyond the answer's end belong to no request: a connection
	// with any is not used again, lest the next caller read them as its
	// answer.
	if b.stop() && reuse && b.conn.br.Buffered() == 0 {
		b.client.put(b.addr, b.conn)
		return
	}
	b.conn.Close()
}

// checkAnswerStatus refuses status codes no answer may have: below 100
// (three digits that net/http's parser accepts but no handler can write)
// and 101, which a request that did not ask to switch protocols must not
// get.
func checkAnswerStatus(code int) error {
	switch {
	case code < 100:
		return fmt.Errorf("the target answered with status %03d", code)
	case code == http.StatusSwitchingProtocols:
		return errors.New("the target switched protocols unasked")
	}
	return nil
}

// bodylessAnswer reports whether an answer to method with status code has
// no body whatever its headers say.
func bodylessAnswer(method string, code int) bool {
	return method == http.MethodHead || !bodyAllowed(code)
}

// bodyAllowed reports whether an answer with status code may have a body.
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}
