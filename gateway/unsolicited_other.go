//go:build !unix

package gateway

import (
	"net"
	"syscall"
)

// unsolicited cannot peek without reading here; answers with trailing
// bytes are still caught when the answer is read (h1Body.finish).
func unsolicited(syscall.RawConn) bool { return false }

func rawConn(net.Conn) syscall.RawConn { return nil }
