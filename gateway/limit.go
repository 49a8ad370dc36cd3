package gateway

import (
	"net"
	"sync"
)

// limitListener holds at most cap(slots) connections open at a time:
// Accept waits until one closes before it accepts the next, so further
// callers wait in the kernel's listen backlog and are not read from.
type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// LimitConnections returns ln limited to max open connections, or ln itself
// when max is zero (no limit): Accept waits until a connection closes
// before it accepts the next. trellis serve limits the control plane with
// it too.
func LimitConnections(ln net.Listener, max int) net.Listener { return limitConnections(ln, max) }

// limitConnections returns ln limited to max open connections, or ln
// itself when max is zero (no limit).
func limitConnections(ln net.Listener, max int) net.Listener {
	if max <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, l: l}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when it closes.
type limitConn struct {
	net.Conn
	l       *limitListener
	release sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release.Do(func() { <-c.l.slots })
	return err
}

// CloseWrite half-closes the connection (see closeWrite).
func (c *limitConn) CloseWrite() error { return closeWrite(c.Conn) }
