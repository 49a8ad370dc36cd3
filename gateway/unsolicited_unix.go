//go:build unix

package gateway

import (
	"net"
	"syscall"
)

// unsolicited reports whether an idle connection has something to read
// (bytes or its end) without reading it: a target that sent more after an
// answer, or a 408 before closing, must not have that read as the next
// caller's answer. One non-blocking peek, no deadline.
func unsolicited(rc syscall.RawConn) bool {
	if rc == nil {
		return false
	}
	var pending bool
	err := rc.Control(func(fd uintptr) {
		pending = peekPending(int(fd))
	})
	return err != nil || pending
}

// rawConn returns c's descriptor access, or nil.
func rawConn(c net.Conn) syscall.RawConn {
	if sc, ok := c.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			return rc
		}
	}
	return nil
}

// peekPending reports whether fd has bytes or an end of stream to read.
func peekPending(fd int) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(fd, b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return n > 0 || err == nil || (err != syscall.EAGAIN && err != syscall.EWOULDBLOCK && err != syscall.EINTR)
}
