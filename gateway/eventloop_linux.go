package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/sys/unix"
)

// The event-loop engine serves an ingress as nginx does: one loop per
// processor, each an OS thread waiting in epoll_wait, that reads requests,
// decides them with the gateway's handler and exchanges them with targets
// on connections it owns, without a goroutine or a scheduler hand-off per
// request. It takes only what its loop can finish without blocking: HTTP/1.1
// requests without a body whose listener forwards to plain-HTTP/1.1 targets
// (or answers itself), and answers with a length of at most
// loopMaxAnswer bytes. Anything else (HTTP/2 and h2c, bodies, Upgrade,
// Expect, malformed or unusual requests, other kinds of targets) is handed
// over, with the connection, to the ingress's net/http server, which serves
// the connection from then on; a long or streamed answer is relayed by a
// goroutine of its own.

const (
	// loopMaxAnswer is the largest answer a loop holds before sending it;
	// larger or streamed answers are relayed by a goroutine.
	loopMaxAnswer = 256 << 10
	// loopMaxAnswerHead bounds a target's answer head.
	loopMaxAnswerHead = 64 << 10
	// loopTick is how often a loop checks deadlines while an exchange
	// waits for a target: the precision of the upstream timeout.
	loopTick = 10 * time.Millisecond
	// loopIdleTick is how often it checks them otherwise.
	loopIdleTick = time.Second
	// loopDialTimeout bounds a connection to a target, as the gateway's
	// dialer does.
	loopDialTimeout = 10 * time.Second
	// loopMaxIdle bounds a loop's idle connections to one target, as the
	// gateway's client does.
	loopMaxIdle = 1024
)

// eventLoopAvailable reports whether this platform has the event-loop
// engine.
const eventLoopAvailable = true

// loopEngine is the event-loop engine of one ingress.
type loopEngine struct {
	h       *ingressHandler
	ln      net.Listener
	slots   chan struct{} // nil without a connection limit
	loops   []*eventLoop
	next    atomic.Uint32
	handed  *handoffListener
	srv     *http.Server // serves handed-over connections
	closing atomic.Bool
	stop    chan struct{} // closed when shutting down
	stopped sync.Once
	// relayConns are the connections of running relays.
	relayMu    sync.Mutex
	relayConns map[net.Conn]struct{}
	done       sync.WaitGroup // the loops and the accepting goroutine
	relays     sync.WaitGroup // relaying goroutines
}

// startLoopEngine listens on in and serves it with event loops.
func (g *Gateway) startLoopEngine(in Ingress, h *ingressHandler) (*loopEngine, error) {
	ln, err := net.Listen("tcp", in.Listen)
	if err != nil {
		return nil, err
	}
	e := &loopEngine{h: h, ln: ln, handed: newHandoffListener(ln.Addr()), stop: make(chan struct{})}
	if in.MaxConnections > 0 {
		e.slots = make(chan struct{}, in.MaxConnections)
	}
	e.srv = in.server(h, g.log)
	loops := in.EventLoops
	if loops == 0 {
		loops = runtime.GOMAXPROCS(0)
	}
	for range loops {
		l, err := newEventLoop(e)
		if err != nil {
			for _, l := range e.loops {
				l.closeFDs()
			}
			ln.Close()
			return nil, err
		}
		e.loops = append(e.loops, l)
	}
	for _, l := range e.loops {
		e.done.Add(1)
		go l.run()
	}
	e.done.Add(1)
	go e.accept()
	go e.srv.Serve(e.handed)
	return e, nil
}

// Addr returns the address listened on.
func (e *loopEngine) Addr() net.Addr { return e.ln.Addr() }

// accept takes connections and gives them to the loops in turn.
func (e *loopEngine) accept() {
	defer e.done.Done()
	var backoff time.Duration
	for {
		if e.slots != nil {
			select {
			case e.slots <- struct{}{}:
			case <-e.stop:
				return
			}
		}
		nc, err := e.ln.Accept()
		if err != nil {
			e.release()
			if e.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, say: wait a little, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		fd, err := dupConn(nc)
		remote := nc.RemoteAddr().String()
		nc.Close() // the loop owns the duplicate; Go's poller lets go of it
		if err != nil {
			e.release()
			continue
		}
		l := e.loops[int(e.next.Add(1))%len(e.loops)]
		l.add(&callerConn{fd: fd, remote: remote})
	}
}

// release gives a connection's slot back.
func (e *loopEngine) release() {
	if e.slots != nil {
		<-e.slots
	}
}

// dupConn returns a descriptor of its own for nc's socket (non-blocking,
// as Go's sockets are).
func dupConn(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := rc.Control(func(s uintptr) { fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	if cerr != nil {
		return -1, cerr
	}
	return fd, err
}

// shutdown stops accepting, lets the exchanges in flight finish and closes
// idle connections, until ctx ends; then it closes what is left.
func (e *loopEngine) shutdown(ctx context.Context) error {
	e.closing.Store(true)
	e.stopped.Do(func() { close(e.stop) })
	e.ln.Close()
	for _, l := range e.loops {
		l.signal()
	}
	stopped := make(chan struct{})
	go func() { e.done.Wait(); close(stopped) }()
	var err error
	select {
	case <-stopped:
	case <-ctx.Done():
		err = ctx.Err()
		for _, l := range e.loops {
			l.force.Store(true)
			l.signal()
		}
		<-stopped
	}
	err = errors.Join(err, e.srv.Shutdown(ctx))
	e.handed.Close()
	relaysDone := make(chan struct{})
	go func() { e.relays.Wait(); close(relaysDone) }()
	select {
	case <-relaysDone:
	case <-ctx.Done():
		e.closeRelays()
		<-relaysDone
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// An eventLoop serves its share of an ingress's connections.
type eventLoop struct {
	e     *loopEngine
	g     *Gateway
	epfd  int
	wake  int // an eventfd: new connections, shutdown
	force atomic.Bool

	mu       sync.Mutex
	incoming []*callerConn
	exited   bool // the loop has stopped: add closes what it is given

	callers []*callerConn // by descriptor
	targets []*targetConn // by descriptor
	idle    map[string][]*targetConn
	open    int // callers
	// inFlight counts the exchanges waiting for a target, whose
	// deadlines the loop watches closely.
	inFlight int

	// Scratch space shared by every request of the loop.
	rd     bytes.Reader
	br     *bufio.Reader
	out    bytes.Buffer
	bw     *bufio.Writer
	buf    []byte
	events []unix.EpollEvent
}

// A callerConn is a caller's connection.
type callerConn struct {
	fd     int
	events uint32 // those the loop waits for
	remote string
	in     []byte // read, not yet served
	out    []byte // to write when the socket takes it
	// deadline closes the connection: idle, or reading a request's head
	// (headStarted).
	deadline    time.Time
	headStarted bool
	ex          *loopExchange // the request waiting for its target
	// closeAfter closes the connection once out is written; eof is set
	// when the caller has sent all it will.
	closeAfter, eof bool
}

// A targetConn is a connection to a target.
type targetConn struct {
	fd         int
	events     uint32 // those the loop waits for
	addr       string
	in         []byte
	out        []byte // head not yet written
	connecting bool
	reused     bool
	caller     *callerConn // while busy
	lastUsed   time.Time
}

// A loopExchange is a request a loop sends to its target.
type loopExchange struct {
	x        *exchange
	req      *http.Request
	lw       *loopWriter
	head     []byte
	target   *targetConn
	deadline time.Time // the upstream timeout; zero: none
	dialBy   time.Time
}

func newEventLoop(e *loopEngine) (*eventLoop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("event loop: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("event loop: %w", err)
	}
	l := &eventLoop{e: e, g: e.h.g, epfd: epfd, wake: wake, idle: map[string][]*targetConn{},
		buf: make([]byte, 32<<10), events: make([]unix.EpollEvent, 256)}
	l.br = bufio.NewReaderSize(&l.rd, 4096)
	l.bw = bufio.NewWriterSize(&l.out, 4096)
	if err := l.ctl(unix.EPOLL_CTL_ADD, wake, unix.EPOLLIN); err != nil {
		l.closeFDs()
		return nil, err
	}
	return l, nil
}

func (l *eventLoop) closeFDs() {
	unix.Close(l.epfd)
	unix.Close(l.wake)
}

func (l *eventLoop) ctl(op, fd int, events uint32) error {
	return unix.EpollCtl(l.epfd, op, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)})
}

// await changes the events the loop waits for on fd, whose current ones
// are *cur, only when they differ: a system call saved per request.
func (l *eventLoop) await(fd int, cur *uint32, events uint32) {
	if *cur != events {
		l.ctl(unix.EPOLL_CTL_MOD, fd, events)
		*cur = events
	}
}

const (
	readable  = unix.EPOLLIN | unix.EPOLLRDHUP
	writable  = unix.EPOLLOUT | unix.EPOLLRDHUP
	hangUp    = unix.EPOLLRDHUP
	connected = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP
)

// signal wakes the loop.
func (l *eventLoop) signal() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.exited { // its eventfd's number may be another file's by now
		var one = [8]byte{1}
		unix.Write(l.wake, one[:])
	}
}

// add gives the loop a new connection (from the accepting goroutine).
func (l *eventLoop) add(c *callerConn) {
	l.mu.Lock()
	if l.exited {
		l.mu.Unlock()
		unix.Close(c.fd)
		l.e.release()
		return
	}
	l.incoming = append(l.incoming, c)
	var one = [8]byte{1}
	unix.Write(l.wake, one[:])
	l.mu.Unlock()
}

// exit stops the loop taking connections and closes those given since it
// last looked.
func (l *eventLoop) exit() {
	l.mu.Lock()
	l.exited = true
	incoming := l.incoming
	l.incoming = nil
	l.closeFDs()
	l.mu.Unlock()
	for _, c := range incoming {
		unix.Close(c.fd)
		l.e.release()
	}
}

func grown[T any](s []*T, fd int) []*T {
	if fd < len(s) {
		return s
	}
	return append(s, make([]*T, fd+1-len(s))...)
}

func (l *eventLoop) run() {
	defer l.e.done.Done()
	defer l.exit()
	nextSweep := time.Now()
	for {
		if l.e.closing.Load() && l.drained() {
			return
		}
		timeout := loopIdleTick
		if l.inFlight > 0 {
			timeout = loopTick
		}
		n, err := unix.EpollWait(l.epfd, l.events, int(timeout/time.Millisecond))
		if err != nil && err != unix.EINTR {
			l.g.log.Error("event loop stopped", "err", err)
			l.closeAll()
			return
		}
		for _, ev := range l.events[:max(n, 0)] {
			l.handle(int(ev.Fd), ev.Events)
		}
		if now := time.Now(); !now.Before(nextSweep) {
			l.sweep(now)
			nextSweep = now.Add(loopTick)
		}
	}
}

// drained closes what is idle when shutting down and reports whether
// nothing is left.
func (l *eventLoop) drained() bool {
	l.takeIncoming()
	for _, c := range l.callers {
		if c != nil && (l.force.Load() || c.ex == nil && len(c.in) == 0 && len(c.out) == 0) {
			l.closeCaller(c)
		}
	}
	if l.open > 0 {
		return false
	}
	for _, list := range l.idle {
		for _, t := range list {
			l.closeTarget(t)
		}
	}
	return true
}

func (l *eventLoop) closeAll() {
	for _, c := range l.callers {
		if c != nil {
			l.closeCaller(c)
		}
	}
}

func (l *eventLoop) takeIncoming() {
	l.mu.Lock()
	incoming := l.incoming
	l.incoming = nil
	l.mu.Unlock()
	now := time.Now()
	for _, c := range incoming {
		if l.e.closing.Load() {
			unix.Close(c.fd)
			l.e.release()
			continue
		}
		c.deadline = now.Add(l.e.h.in.IdleTimeout.orDefault(DefaultIdleTimeout))
		l.callers = grown(l.callers, c.fd)
		l.callers[c.fd] = c
		l.open++
		c.events = readable
		if err := l.ctl(unix.EPOLL_CTL_ADD, c.fd, c.events); err != nil {
			l.closeCaller(c)
		}
	}
}

func (l *eventLoop) handle(fd int, events uint32) {
	if fd == l.wake {
		var b [8]byte
		unix.Read(l.wake, b[:])
		l.takeIncoming()
		return
	}
	if fd < len(l.callers) && l.callers[fd] != nil {
		l.callerEvent(l.callers[fd], events)
		return
	}
	if fd < len(l.targets) && l.targets[fd] != nil {
		l.targetEvent(l.targets[fd], events)
	}
}

func (l *eventLoop) callerEvent(c *callerConn, events uint32) {
	if len(c.out) > 0 && events&unix.EPOLLRDHUP != 0 {
		// The caller has sent all it will but may still read: wait for
		// the socket to take the rest (RDHUP stays set, and waiting for
		// it would wake the loop for ever).
		c.eof = true
		l.await(c.fd, &c.events, unix.EPOLLOUT)
	}
	if events&unix.EPOLLOUT != 0 {
		if !l.flush(c) {
			return
		}
	}
	if c.ex != nil {
		// What a caller sends while its target works is kept for later,
		// up to a head's worth; past that the loop stops reading it.
		gone := events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
		if !gone && events&unix.EPOLLIN != 0 {
			limit := l.e.h.maxHeader() + 1
			gone = !l.read(c.fd, &c.in, limit)
			if len(c.in) >= limit {
				l.await(c.fd, &c.events, hangUp)
			}
		}
		if gone {
			// The caller went away while its target had not answered,
			// as net/http's server notices with its background read:
			// the exchange is abandoned (closeCaller).
			c.ex.x.fw.failure = "TargetConnectionError"
			l.closeCaller(c)
		}
		return
	}
	if events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 && len(c.out) == 0 {
		if !l.read(c.fd, &c.in, l.e.h.maxHeader()+1) {
			c.eof = true
		}
		l.serve(c)
	}
}

// read appends what fd has to *dst, up to limit bytes in all; it reports
// false at the end of the stream or on an error.
func (l *eventLoop) read(fd int, dst *[]byte, limit int) bool {
	for len(*dst) < limit {
		n, err := unix.Read(fd, l.buf[:min(len(l.buf), limit-len(*dst))])
		if n > 0 {
			*dst = append(*dst, l.buf[:n]...)
			continue
		}
		if err == unix.EINTR {
			continue
		}
		return err == unix.EAGAIN
	}
	return true
}

// send writes b to the caller, keeping what the socket does not take.
func (l *eventLoop) send(c *callerConn, b []byte) bool {
	if len(c.out) == 0 {
		for len(b) > 0 {
			n, err := unix.Write(c.fd, b)
			if n > 0 {
				b = b[n:]
				continue
			}
			if err == unix.EINTR {
				continue
			}
			if err != unix.EAGAIN {
				l.closeCaller(c)
				return false
			}
			break
		}
		if len(b) == 0 {
			return true
		}
	}
	c.out = append(c.out, b...)
	// A caller that does not take its answer within the idle timeout is
	// closed.
	c.deadline = time.Now().Add(l.e.h.in.IdleTimeout.orDefault(DefaultIdleTimeout))
	if c.eof {
		l.await(c.fd, &c.events, unix.EPOLLOUT)
	} else {
		l.await(c.fd, &c.events, writable)
	}
	return true
}

// flush writes what the caller's socket did not take; it reports false
// when the connection was closed.
func (l *eventLoop) flush(c *callerConn) bool {
	for len(c.out) > 0 {
		n, err := unix.Write(c.fd, c.out)
		if n > 0 {
			c.out = c.out[n:]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return true
		}
		l.closeCaller(c)
		return false
	}
	c.out, c.deadline = nil, time.Time{}
	if c.closeAfter {
		l.closeCaller(c)
		return false
	}
	l.await(c.fd, &c.events, readable)
	l.serve(c) // requests that came meanwhile
	return true
}

var headEnd = []byte("\r\n\r\n")

// serve answers the requests c has read, until one waits for its target
// or for more bytes.
func (l *eventLoop) serve(c *callerConn) {
	h := l.e.h
	for c.ex == nil && len(c.out) == 0 && l.callers[c.fd] == c {
		if c.closeAfter {
			l.closeCaller(c)
			return
		}
		end := bytes.Index(c.in, headEnd)
		if end < 0 {
			switch {
			case len(c.in) > h.maxHeader():
				l.handOver(c) // net/http answers 431
			case c.eof:
				l.closeCaller(c)
			case len(c.in) == 0:
				c.deadline, c.headStarted = time.Now().Add(h.in.IdleTimeout.orDefault(DefaultIdleTimeout)), false
			case !c.headStarted:
				c.deadline, c.headStarted = time.Now().Add(h.in.ReadHeaderTimeout.orDefault(DefaultReadHeaderTimeout)), true
			}
			return
		}
		headLen := end + len(headEnd)
		l.rd.Reset(c.in[:headLen])
		l.br.Reset(&l.rd)
		req, err := http.ReadRequest(l.br)
		// The parser must have ended the head where the loop did: a head
		// ended by bare LFs is shorter, and what follows it is
		// net/http's to frame.
		if err != nil || l.br.Buffered()+l.rd.Len() != 0 || !l.servable(req) {
			l.handOver(c)
			return
		}
		c.deadline, c.headStarted = time.Time{}, false
		req.RemoteAddr = c.remote
		lw := &loopWriter{header: make(http.Header, 4)}
		if !l.handle1(lw, req) {
			l.closeCaller(c)
			return
		}
		if lw.refused {
			// The configuration changed since servable: net/http serves
			// the request, from its first byte, and decides it again.
			l.handOver(c)
			return
		}
		c.in = c.in[:copy(c.in, c.in[headLen:])]
		if req.Close || c.eof {
			c.closeAfter = true
		}
		if lw.x == nil {
			l.answerLocally(c, req, lw)
			continue
		}
		l.forward(c, req, lw)
	}
}

// handle1 runs the handler for req; it reports false when the handler
// panicked, which, as with net/http's server, costs only the connection.
func (l *eventLoop) handle1(lw *loopWriter, req *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				buf := make([]byte, 16<<10)
				buf = buf[:runtime.Stack(buf, false)]
				l.g.log.Error("panic serving a request", "remote", req.RemoteAddr, "panic", v, "stack", string(buf))
			}
			ok = false
		}
	}()
	l.e.h.ServeHTTP(lw, req)
	return true
}

// servable reports whether the loop can serve req itself: an HTTP/1.1
// request without a body in origin form, with nothing net/http's server
// would refuse or handle specially, to a listener whose targets the loop
// can reach. Anything else is net/http's.
func (l *eventLoop) servable(req *http.Request) bool {
	if req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.ContentLength != 0 || len(req.TransferEncoding) > 0 ||
		req.Method == http.MethodConnect || req.Method == "PRI" || req.URL.Host != "" || req.URL.Opaque != "" {
		return false
	}
	// http.ReadRequest refuses a second Host header and takes the one
	// Host out of the header; net/http's server requires it.
	if req.Host == "" || !httpguts.ValidHostHeader(req.Host) {
		return false
	}
	for name, values := range req.Header {
		switch name {
		case "Expect", "Upgrade", "Content-Length", "Transfer-Encoding", "Http2-Settings":
			return false
		case "Connection":
			for _, v := range values {
				if !httpguts.HeaderValuesContainsToken([]string{v}, "keep-alive") && !httpguts.HeaderValuesContainsToken([]string{v}, "close") {
					return false
				}
			}
		}
		if !httpguts.ValidHeaderFieldName(name) {
			return false
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return false
			}
		}
	}
	return l.e.h.loopRoutable(req)
}

// answerLocally sends the answer the handler wrote itself.
func (l *eventLoop) answerLocally(c *callerConn, req *http.Request, lw *loopWriter) {
	status := lw.status
	if status == 0 {
		status = http.StatusOK
	}
	if lw.header.Get("Connection") == "close" {
		c.closeAfter = true
	}
	l.out.Reset()
	writeLocalAnswer(&l.out, req, lw, status, c.closeAfter)
	l.send(c, l.out.Bytes())
}

// writeLocalAnswer writes an answer the gateway gave itself, as net/http's
// server would: with a Date and a Content-Length, without a body for HEAD.
func writeLocalAnswer(b *bytes.Buffer, req *http.Request, lw *loopWriter, status int, closing bool) {
	writeStatusLine(b, status)
	lw.header.Del("Content-Length")
	lw.header.Del("Connection")
	lw.header.Write(b)
	if lw.header.Get("Date") == "" {
		b.WriteString("Date: ")
		b.WriteString(httpDate())
		b.WriteString("\r\n")
	}
	if closing {
		b.WriteString("Connection: close\r\n")
	}
	if bodyAllowed(status) {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(len(lw.body)))
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	if req.Method != http.MethodHead && bodyAllowed(status) {
		b.Write(lw.body)
	}
}

func writeStatusLine(b *bytes.Buffer, status int) {
	b.WriteString("HTTP/1.1 ")
	b.WriteString(strconv.Itoa(status))
	b.WriteByte(' ')
	text := http.StatusText(status)
	if text == "" {
		text = "status code " + strconv.Itoa(status)
	}
	b.WriteString(text)
	b.WriteString("\r\n")
}

// forward sends the request the handler allowed to its target.
func (l *eventLoop) forward(c *callerConn, req *http.Request, lw *loopWriter) {
	x := lw.x
	fw := &x.fw
	if err := checkForward(req, fw, false); err != nil {
		ex := &loopExchange{x: x, req: req, lw: lw}
		c.ex = ex
		l.inFlight++
		l.fail(c, ex, &badHeadError{err})
		return
	}
	l.out.Reset()
	l.bw.Reset(&l.out)
	writeForwardHead(l.bw, req, fw)
	l.bw.Flush()
	ex := &loopExchange{x: x, req: req, lw: lw, head: bytes.Clone(l.out.Bytes())}
	if d := l.g.upstreamTimeout; d > 0 {
		ex.deadline = time.Now().Add(d)
	}
	c.ex = ex
	l.inFlight++
	l.dispatch(c, ex, false)
}

// dispatch sends ex on an idle connection to its target or a new one
// (fresh: never a pooled one).
func (l *eventLoop) dispatch(c *callerConn, ex *loopExchange, fresh bool) {
	addr := ex.x.fw.target.Host
	var t *targetConn
	for list := l.idle[addr]; !fresh && len(list) > 0; list = l.idle[addr] {
		t = list[len(list)-1]
		list[len(list)-1] = nil
		l.idle[addr] = list[:len(list)-1]
		if !peekPending(t.fd) {
			t.reused = true
			break
		}
		l.closeTarget(t) // it spoke or closed while idle
		t = nil
	}
	if t == nil {
		var err error
		if t, err = l.dial(addr); err != nil {
			l.fail(c, ex, err)
			return
		}
		ex.dialBy = time.Now().Add(loopDialTimeout)
	}
	t.caller, ex.target = c, t
	t.out = append(t.out[:0], ex.head...)
	if !t.connecting {
		l.writeTarget(t)
	}
}

// dial starts a connection to a target at addr (an IP address and port).
func (l *eventLoop) dial(addr string) (*targetConn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("target address %q: %w", addr, err)
	}
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		sa = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
		if zone := ap.Addr().Zone(); zone != "" {
			ifi, err := net.InterfaceByName(zone)
			if err != nil {
				return nil, fmt.Errorf("target address %q: %w", addr, err)
			}
			sa6.ZoneId = uint32(ifi.Index)
		}
		sa = sa6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	t := &targetConn{fd: fd, addr: addr, events: connected}
	err = unix.Connect(fd, sa)
	switch err {
	case nil:
	case unix.EINPROGRESS:
		t.connecting = true
	default:
		unix.Close(fd)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(ap), Err: os.NewSyscallError("connect", err)}
	}
	l.targets = grown(l.targets, fd)
	l.targets[fd] = t
	if err := l.ctl(unix.EPOLL_CTL_ADD, fd, t.events); err != nil {
		l.closeTarget(t)
		return nil, err
	}
	return t, nil
}

// writeTarget writes the request head the target has not taken yet.
func (l *eventLoop) writeTarget(t *targetConn) {
	for len(t.out) > 0 {
		n, err := unix.Write(t.fd, t.out)
		if n > 0 {
			t.out = t.out[n:]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			l.await(t.fd, &t.events, connected)
			return
		}
		l.targetFailed(t, os.NewSyscallError("write", err), true)
		return
	}
	l.await(t.fd, &t.events, readable)
}

func (l *eventLoop) targetEvent(t *targetConn, events uint32) {
	if t.caller == nil {
		// An idle connection spoke or closed: it cannot be used again.
		list := l.idle[t.addr]
		for i, idle := range list {
			if idle == t {
				l.idle[t.addr] = append(list[:i], list[i+1:]...)
				list[len(list)-1] = nil
				break
			}
		}
		l.closeTarget(t)
		return
	}
	if t.connecting {
		if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		if serr, err := unix.GetsockoptInt(t.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || serr != 0 {
			if err == nil {
				err = unix.Errno(serr)
			}
			l.targetFailed(t, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}, false)
			return
		}
		if _, err := unix.Getpeername(t.fd); err == unix.ENOTCONN {
			return // an event of an earlier connection on this descriptor
		}
		t.connecting = false
		t.caller.ex.dialBy = time.Time{}
		l.writeTarget(t)
		return
	}
	if events&unix.EPOLLOUT != 0 && len(t.out) > 0 {
		l.writeTarget(t)
		if len(t.out) > 0 || t.caller == nil {
			return
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
		return
	}
	before := len(t.in)
	const most = loopMaxAnswerHead + len("\r\n\r\n") + loopMaxAnswer
	eof := !l.read(t.fd, &t.in, most)
	if l.answer(t, eof) {
		return
	}
	switch {
	case eof:
		l.targetFailed(t, io.ErrUnexpectedEOF, before == 0 && len(t.in) == 0)
	case len(t.in) >= most:
		l.relay(t) // cannot happen with the bounds above; never spin
	}
}

// answer handles what the target sent for the exchange it carries; it
// reports false while the answer's head is incomplete. When the target
// closed (eof) after the head but before the end of the body, the caller
// gets what came and then its connection is closed, as with the gateway's
// send: the only way to tell it the answer is incomplete.
func (l *eventLoop) answer(t *targetConn, eof bool) bool {
	c := t.caller
	ex := c.ex
	for {
		end := bytes.Index(t.in, headEnd)
		if end < 0 && len(t.in) <= loopMaxAnswerHead {
			return false
		}
		if end < 0 || end > loopMaxAnswerHead {
			l.relay(t) // a large head: a goroutine reads it
			return true
		}
		l.rd.Reset(t.in[:end+len(headEnd)])
		l.br.Reset(&l.rd)
		resp, err := http.ReadResponse(l.br, ex.req)
		if err == nil && l.br.Buffered()+l.rd.Len() != 0 {
			// A head ended by bare LFs: the goroutine's parser frames it.
			l.relay(t)
			return true
		}
		if err == nil && resp.StatusCode < 100 {
			err = checkAnswerStatus(resp.StatusCode)
		}
		if err != nil {
			l.targetFailed(t, err, false)
			return true
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			// Interim answers (100 Continue, 103 Early Hints) precede
			// the real one, as with the gateway's client.
			t.in = t.in[:copy(t.in, t.in[end+len(headEnd):])]
			continue
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			l.targetFailed(t, errors.New("the target switched protocols unasked"), false)
			return true
		}
		// The head is in: the upstream timeout does not bound the body.
		ex.deadline, ex.dialBy = time.Time{}, time.Time{}
		bodyLen := resp.ContentLength
		if ex.req.Method == http.MethodHead || !bodyAllowed(resp.StatusCode) {
			bodyLen = 0
		}
		if bodyLen < 0 || len(resp.TransferEncoding) > 0 || bodyLen > loopMaxAnswer {
			l.relay(t)
			return true
		}
		if have := int64(len(t.in) - end - len(headEnd)); have < bodyLen {
			if eof {
				l.cut(t, resp, t.in[end+len(headEnd):])
			}
			return eof
		}
		body := t.in[end+len(headEnd) : end+len(headEnd)+int(bodyLen)]
		l.out.Reset()
		writeAnswerHead(&l.out, resp, c.closeAfter)
		if resp.ContentLength >= 0 && bodyAllowed(resp.StatusCode) {
			// For HEAD, the length the target announced.
			l.out.WriteString("Content-Length: ")
			l.out.WriteString(strconv.FormatInt(resp.ContentLength, 10))
			l.out.WriteString("\r\n")
		}
		l.out.WriteString("\r\n")
		l.out.Write(body)
		rest := len(t.in) - (end + len(headEnd) + int(bodyLen))
		ex.x.rec.status, ex.x.rec.wrote, ex.x.rec.n = resp.StatusCode, true, bodyLen
		l.settle(c)
		t.caller = nil
		// Pooled only when the answer's end is where both sides agree
		// it is: nothing after it, the whole request written.
		if !resp.Close && rest == 0 && len(t.out) == 0 && len(l.idle[t.addr]) < loopMaxIdle {
			t.in, t.lastUsed = t.in[:0], time.Now()
			l.idle[t.addr] = append(l.idle[t.addr], t)
		} else {
			l.closeTarget(t)
		}
		ex.x.finish()
		l.await(c.fd, &c.events, readable)
		if l.send(c, l.out.Bytes()) && len(c.out) == 0 {
			l.serve(c)
		}
		return true
	}
}

// cut sends the head and the part of the body a target sent before it
// closed, then closes the caller's connection.
func (l *eventLoop) cut(t *targetConn, resp *http.Response, part []byte) {
	c := t.caller
	x := c.ex.x
	x.fw.failure = "TargetResponseIncomplete"
	x.rec.status, x.rec.wrote, x.rec.n = resp.StatusCode, true, int64(len(part))
	l.g.log.Warn("answer from target cut short", "target", x.fw.target.Host, "err", io.ErrUnexpectedEOF)
	l.out.Reset()
	writeAnswerHead(&l.out, resp, false)
	l.out.WriteString("Content-Length: ")
	l.out.WriteString(strconv.FormatInt(resp.ContentLength, 10))
	l.out.WriteString("\r\n\r\n")
	l.out.Write(part)
	l.settle(c)
	t.caller = nil
	l.closeTarget(t)
	x.finish()
	l.send(c, l.out.Bytes()) // best effort: the connection closes next
	l.closeCaller(c)
}

// writeAnswerHead writes the status line and the headers of a target's
// answer for the caller, as the gateway's send does: without hop-by-hop
// headers and those the target's Connection header names.
func writeAnswerHead(b *bytes.Buffer, resp *http.Response, closing bool) {
	writeStatusLine(b, resp.StatusCode)
	removeConnectionHeaders(resp.Header)
	date := false
	for name, values := range resp.Header {
		if isHopHeader(name) || name == "Content-Length" {
			continue
		}
		date = date || name == "Date"
		for _, v := range values {
			b.WriteString(name)
			b.WriteString(": ")
			b.WriteString(v)
			b.WriteString("\r\n")
		}
	}
	if !date {
		b.WriteString("Date: ")
		b.WriteString(httpDate())
		b.WriteString("\r\n")
	}
	if closing {
		b.WriteString("Connection: close\r\n")
	}
}

// targetFailed ends an exchange whose target failed: once more on a new
// connection when a pooled one turned out closed before anything was read,
// else with the caller's 502 or 504 as the gateway's send gives.
func (l *eventLoop) targetFailed(t *targetConn, err error, nothingRead bool) {
	c := t.caller
	t.caller = nil
	l.closeTarget(t)
	if c == nil || c.ex == nil {
		return
	}
	ex := c.ex
	if t.reused && nothingRead && idempotent(ex.req.Method) {
		l.dispatch(c, ex, true)
		return
	}
	l.fail(c, ex, err)
}

// fail answers a request that could not be exchanged with its target.
func (l *eventLoop) fail(c *callerConn, ex *loopExchange, err error) {
	l.settle(c)
	x := ex.x
	lw := &loopWriter{header: make(http.Header, 4)}
	x.rec.ResponseWriter = lw
	l.g.targetError(x.rec, ex.req, &x.fw, err)
	x.finish()
	l.await(c.fd, &c.events, readable)
	l.answerLocally(c, ex.req, lw)
	if l.callers[c.fd] == c && len(c.out) == 0 {
		l.serve(c)
	}
}

// sweep enforces deadlines: connections idle or slow to send a head are
// closed, exchanges past the upstream timeout answered 504, dials past
// their timeout 502, and pooled target connections idle too long closed.
func (l *eventLoop) sweep(now time.Time) {
	for _, c := range l.callers {
		if c == nil {
			continue
		}
		if ex := c.ex; ex != nil {
			switch {
			case !ex.deadline.IsZero() && now.After(ex.deadline):
				t := ex.target
				t.caller = nil
				l.closeTarget(t)
				l.fail(c, ex, fmt.Errorf("%w (%s)", errUpstreamTimeout, l.g.upstreamTimeout))
			case !ex.dialBy.IsZero() && now.After(ex.dialBy):
				t := ex.target
				t.caller = nil
				l.closeTarget(t)
				l.fail(c, ex, &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded})
			}
			continue
		}
		if !c.deadline.IsZero() && now.After(c.deadline) {
			l.closeCaller(c)
		}
	}
	for addr, list := range l.idle {
		kept := list[:0]
		for _, t := range list {
			if now.Sub(t.lastUsed) < l.g.targetIdleTimeout() {
				kept = append(kept, t)
			} else {
				l.closeTarget(t)
			}
		}
		clear(list[len(kept):])
		l.idle[addr] = kept
	}
}

// settle records that c's exchange no longer waits for its target.
func (l *eventLoop) settle(c *callerConn) {
	c.ex = nil
	l.inFlight--
}

func (l *eventLoop) closeCaller(c *callerConn) {
	if l.callers[c.fd] != c {
		return
	}
	if ex := c.ex; ex != nil {
		l.settle(c)
		if t := ex.target; t != nil {
			t.caller = nil
			l.closeTarget(t)
		}
		ex.x.finish()
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
	l.callers[c.fd] = nil
	l.open--
	l.e.release()
}

func (l *eventLoop) closeTarget(t *targetConn) {
	if t.fd < 0 || l.targets[t.fd] != t {
		return
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, t.fd, nil)
	unix.Close(t.fd)
	l.targets[t.fd] = nil
	t.fd = -1
}

// detach takes c out of the loop and returns it as a net.Conn that reads
// what the loop read but did not serve first, and gives the connection's
// slot back when closed.
func (l *eventLoop) detach(c *callerConn) (net.Conn, error) {
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	l.callers[c.fd] = nil
	l.open--
	f := os.NewFile(uintptr(c.fd), "caller")
	nc, err := net.FileConn(f) // a duplicate, in Go's poller
	f.Close()
	if err != nil {
		l.e.release()
		return nil, err
	}
	return &handedConn{Conn: nc, pending: bytes.Clone(c.in), release: l.e.release}, nil
}

// handOver gives c to the ingress's net/http server, which serves it from
// the request the loop did not take on.
func (l *eventLoop) handOver(c *callerConn) {
	nc, err := l.detach(c)
	if err != nil {
		l.g.log.Warn("connection not handed over", "err", err)
		return
	}
	if !l.e.handed.deliver(nc) {
		nc.Close()
	}
}

// relay sends a long or streamed answer from a goroutine of its own: the
// caller's connection and the target's leave the loop; once the answer is
// sent, the caller's connection goes to the ingress's net/http server.
func (l *eventLoop) relay(t *targetConn) {
	c := t.caller
	ex := c.ex
	l.settle(c)
	t.caller = nil
	caller, err := l.detach(c)
	if err != nil {
		l.closeTarget(t)
		ex.x.fw.failure = "TargetConnectionError"
		ex.x.finish()
		return
	}
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, t.fd, nil)
	l.targets[t.fd] = nil
	f := os.NewFile(uintptr(t.fd), "target")
	target, err := net.FileConn(f)
	f.Close()
	t.fd = -1
	if err != nil {
		caller.Close()
		ex.x.fw.failure = "TargetConnectionError"
		ex.x.finish()
		return
	}
	head := bytes.Clone(t.in)
	closing := ex.req.Close
	e := l.e
	e.relays.Add(1)
	e.track(caller, target)
	go func() {
		defer e.relays.Done()
		defer e.untrack(caller, target)
		defer target.Close()
		hc := caller.(*handedConn)
		watch := watchCaller(hc, target)
		// The head is bounded as the gateway's client bounds it.
		ok := l.g.relayAnswer(caller, io.MultiReader(bytes.NewReader(head), target), ex, closing)
		if !watch.stop(hc) || !ok || closing {
			caller.Close()
			return
		}
		if !e.handed.deliver(caller) {
			caller.Close()
		}
	}()
}

// track records the connections of a relay, for shutdown to close when
// its time is up.
func (e *loopEngine) track(conns ...net.Conn) {
	e.relayMu.Lock()
	defer e.relayMu.Unlock()
	if e.relayConns == nil {
		e.relayConns = map[net.Conn]struct{}{}
	}
	for _, c := range conns {
		e.relayConns[c] = struct{}{}
	}
}

func (e *loopEngine) untrack(conns ...net.Conn) {
	e.relayMu.Lock()
	defer e.relayMu.Unlock()
	for _, c := range conns {
		delete(e.relayConns, c)
	}
}

// closeRelays closes the connections of the relays still running.
func (e *loopEngine) closeRelays() {
	e.relayMu.Lock()
	defer e.relayMu.Unlock()
	for c := range e.relayConns {
		c.Close()
	}
}

// A callerWatch reads from a caller while its answer is relayed, as
// net/http's server does: a caller that goes away closes the target's
// connection, which ends the relay.
type callerWatch struct {
	done chan struct{}
	got  []byte
	gone bool
}

func watchCaller(hc *handedConn, target net.Conn) *callerWatch {
	w := &callerWatch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		buf := make([]byte, 4096)
		n, err := hc.Conn.Read(buf) // past what the loop already read
		w.got = buf[:n]
		if n == 0 && err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			w.gone = true
			target.Close()
		}
	}()
	return w
}

// stop ends the watch and keeps what the caller sent meanwhile (its next
// request) for net/http; it reports whether the caller is still there.
func (w *callerWatch) stop(hc *handedConn) bool {
	hc.Conn.SetReadDeadline(time.Unix(1, 0))
	<-w.done
	hc.Conn.SetReadDeadline(time.Time{})
	hc.pending = append(hc.pending, w.got...)
	return !w.gone
}

// relayAnswer reads the target's answer (skipping interim ones) from
// target and writes it to caller with its body as the target frames it;
// it reports whether caller can serve another request.
func (g *Gateway) relayAnswer(caller net.Conn, target io.Reader, ex *loopExchange, closing bool) bool {
	x := ex.x
	defer x.finish()
	// The head is bounded as the gateway's client bounds it; the body is
	// not.
	limited := &headLimit{r: target, n: maxAnswerHead}
	br := bufio.NewReader(limited)
	var resp *http.Response
	for {
		var err error
		resp, err = http.ReadResponse(br, ex.req)
		if err == nil {
			err = checkAnswerStatus(resp.StatusCode)
		}
		if err != nil {
			// Nothing is sent yet: the caller gets the 502 the gateway
			// gives for a target that did not answer.
			lw := &loopWriter{header: make(http.Header, 4)}
			x.rec.ResponseWriter = lw
			g.targetError(x.rec, ex.req, &x.fw, err)
			var b bytes.Buffer
			writeLocalAnswer(&b, ex.req, lw, lw.status, closing)
			_, werr := caller.Write(b.Bytes())
			return werr == nil
		}
		if resp.StatusCode >= 200 {
			break
		}
	}
	limited.n = -1
	defer resp.Body.Close()
	var head bytes.Buffer
	writeAnswerHead(&head, resp, closing)
	noBody := ex.req.Method == http.MethodHead || !bodyAllowed(resp.StatusCode)
	chunked := !noBody && (len(resp.TransferEncoding) > 0 || resp.ContentLength < 0)
	if noBody {
		if resp.ContentLength >= 0 && bodyAllowed(resp.StatusCode) {
			head.WriteString("Content-Length: " + strconv.FormatInt(resp.ContentLength, 10) + "\r\n")
		}
		head.WriteString("\r\n")
		x.rec.status, x.rec.wrote = resp.StatusCode, true
		_, err := caller.Write(head.Bytes())
		return err == nil
	}
	if chunked {
		head.WriteString("Transfer-Encoding: chunked\r\n")
		if len(resp.Trailer) > 0 {
			names := make([]string, 0, len(resp.Trailer))
			for name := range resp.Trailer {
				names = append(names, name)
			}
			head.WriteString("Trailer: " + strings.Join(names, ", ") + "\r\n")
		}
	} else {
		head.WriteString("Content-Length: " + strconv.FormatInt(resp.ContentLength, 10) + "\r\n")
	}
	head.WriteString("\r\n")
	x.rec.status, x.rec.wrote = resp.StatusCode, true
	bw := bufio.NewWriterSize(caller, 32<<10)
	bw.Write(head.Bytes())
	var w io.Writer = bw
	var cw io.WriteCloser
	if chunked {
		cw = httputil.NewChunkedWriter(bw)
		w = cw
	}
	pooled := g.buffers.get()
	defer g.buffers.put(pooled)
	buf := *pooled
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return false
			}
			x.rec.n += int64(n)
			// Stream: what the target sent reaches the caller at once.
			if err := bw.Flush(); err != nil {
				return false
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			x.fw.failure = "TargetResponseIncomplete"
			g.log.Warn("answer from target cut short", "target", x.fw.target.Host, "err", rerr)
			return false
		}
	}
	if cw != nil {
		cw.Close()
		for name, values := range resp.Trailer {
			for _, v := range values {
				bw.WriteString(name + ": " + v + "\r\n")
			}
		}
		bw.WriteString("\r\n")
	}
	return bw.Flush() == nil
}
