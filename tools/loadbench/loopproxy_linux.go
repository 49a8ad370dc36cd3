package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// serveLoopProxy is a Go proxy built as nginx is: one event loop per
// processor, each an OS thread blocked in epoll_wait, with its own
// listening socket (SO_REUSEPORT, as nginx's reuseport) and, for each
// caller connection it accepts, a connection to the target of its own in
// the same loop. A request is parsed with http.ReadRequest and the answer
// with http.ReadResponse, as trellis's gateway does, and written back with
// a Content-Length. Like serveRawProxy it is a measuring device, not a
// server to deploy: requests without bodies, answers with a Content-Length,
// no limits or timeouts. It tells whether nginx's tail is its architecture
// (few threads, no scheduler between the network and the work) or its
// work. work and latticeHeaders are serveGoProxy's.
func serveLoopProxy(addr, target string, work time.Duration, latticeHeaders bool) {
	listen, err := netip.ParseAddrPort(addr)
	if err != nil {
		log.Fatal(err)
	}
	upstream, err := netip.ParseAddrPort(target)
	if err != nil {
		log.Fatal(err)
	}
	for range runtime.GOMAXPROCS(0) {
		l, err := newEventLoop(listen, upstream, work, latticeHeaders)
		if err != nil {
			log.Fatal(err)
		}
		go l.run()
	}
	select {}
}

type eventLoop struct {
	epfd, lfd      int
	upstream       unix.SockaddrInet4
	work           time.Duration
	latticeHeaders bool
	// pairs is indexed by file descriptor: both of a pair's descriptors
	// point at it.
	pairs []*connPair
	// Scratch space reused by every request in the loop.
	br  *bufio.Reader
	rd  bytes.Reader
	out bytes.Buffer
	buf [16 << 10]byte
}

// A connPair is a caller's connection and the target connection that
// carries its requests.
type connPair struct {
	caller, up int
	in, upIn   []byte
}

func newEventLoop(listen, upstream netip.AddrPort, work time.Duration, latticeHeaders bool) (*eventLoop, error) {
	lfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for _, opt := range []int{unix.SO_REUSEADDR, unix.SO_REUSEPORT} {
		if err := unix.SetsockoptInt(lfd, unix.SOL_SOCKET, opt, 1); err != nil {
			return nil, err
		}
	}
	if err := unix.Bind(lfd, &unix.SockaddrInet4{Port: int(listen.Port()), Addr: listen.Addr().As4()}); err != nil {
		return nil, fmt.Errorf("bind %v: %w", listen, err)
	}
	if err := unix.Listen(lfd, 1024); err != nil {
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &eventLoop{epfd: epfd, lfd: lfd, work: work, latticeHeaders: latticeHeaders,
		upstream: unix.SockaddrInet4{Port: int(upstream.Port()), Addr: upstream.Addr().As4()}}
	l.br = bufio.NewReader(&l.rd)
	return l, l.watch(lfd)
}

func (l *eventLoop) watch(fd int) error {
	return unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
}

func (l *eventLoop) run() {
	runtime.LockOSThread()
	events := make([]unix.EpollEvent, 128)
	for {
		n, err := unix.EpollWait(l.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == l.lfd {
				l.accept()
				continue
			}
			if fd >= len(l.pairs) || l.pairs[fd] == nil {
				continue
			}
			p := l.pairs[fd]
			var ok bool
			if fd == p.caller {
				ok = l.fromCaller(p)
			} else {
				ok = l.fromTarget(p)
			}
			if !ok {
				l.close(p)
			}
		}
	}
}

func (l *eventLoop) accept() {
	for {
		cfd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		ufd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			// Blocking connect on loopback: once per caller connection.
			if err = unix.Connect(ufd, &l.upstream); err == nil {
				err = unix.SetNonblock(ufd, true)
			}
			if err != nil {
				unix.Close(ufd)
			}
		}
		if err != nil {
			unix.Close(cfd)
			continue
		}
		for _, fd := range []int{cfd, ufd} {
			unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		}
		p := &connPair{caller: cfd, up: ufd}
		for len(l.pairs) <= max(cfd, ufd) {
			l.pairs = append(l.pairs, nil)
		}
		l.pairs[cfd], l.pairs[ufd] = p, p
		if l.watch(cfd) != nil || l.watch(ufd) != nil {
			l.close(p)
		}
	}
}

func (l *eventLoop) close(p *connPair) {
	for _, fd := range []int{p.caller, p.up} {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		unix.Close(fd)
		l.pairs[fd] = nil
	}
}

// readInto appends what fd has to *dst; it reports false at the end of
// the stream or on an error.
func (l *eventLoop) readInto(fd int, dst *[]byte) bool {
	for {
		n, err := unix.Read(fd, l.buf[:])
		if n > 0 {
			*dst = append(*dst, l.buf[:n]...)
			if n < len(l.buf) {
				return true
			}
			continue
		}
		return err == unix.EAGAIN
	}
}

func writeAll(fd int, b []byte) bool {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err != nil {
			// Loopback with small messages: a full socket buffer is not
			// expected; the device gives up rather than queueing.
			return false
		}
		b = b[n:]
	}
	return true
}

var headEnd = []byte("\r\n\r\n")

func (l *eventLoop) fromCaller(p *connPair) bool {
	if !l.readInto(p.caller, &p.in) {
		return false
	}
	for {
		end := bytes.Index(p.in, headEnd)
		if end < 0 {
			return true
		}
		end += len(headEnd)
		l.rd.Reset(p.in[:end])
		l.br.Reset(&l.rd)
		req, err := http.ReadRequest(l.br)
		if err != nil {
			return false
		}
		p.in = p.in[:copy(p.in, p.in[end:])]
		if l.work > 0 {
			busy(l.work)
		}
		out := &http.Request{Method: req.Method, URL: req.URL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: withLatticeHeaders(req.Header, l.latticeHeaders), Host: req.Host}
		l.out.Reset()
		if out.Write(&l.out) != nil || !writeAll(p.up, l.out.Bytes()) {
			return false
		}
	}
}

func (l *eventLoop) fromTarget(p *connPair) bool {
	if !l.readInto(p.up, &p.upIn) {
		return false
	}
	for {
		end := bytes.Index(p.upIn, headEnd)
		if end < 0 {
			return true
		}
		end += len(headEnd)
		l.rd.Reset(p.upIn)
		l.br.Reset(&l.rd)
		resp, err := http.ReadResponse(l.br, nil)
		if err != nil || resp.ContentLength < 0 {
			return false
		}
		if int64(len(p.upIn)-end) < resp.ContentLength {
			return true
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return false
		}
		p.upIn = p.upIn[:copy(p.upIn, p.upIn[end+len(body):])]
		resp.Header.Del("Content-Length")
		l.out.Reset()
		fmt.Fprintf(&l.out, "HTTP/1.1 %03d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
		resp.Header.Write(&l.out)
		fmt.Fprintf(&l.out, "Content-Length: %d\r\n\r\n", len(body))
		l.out.Write(body)
		if !writeAll(p.caller, l.out.Bytes()) {
			return false
		}
	}
}
