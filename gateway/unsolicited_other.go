//go:build !unix

package gateway

import "net"

// unsolicited cannot peek without reading here; answers with trailing
// bytes are still caught when the answer is read (h1Body.finish).
func unsolicited(net.Conn) bool { return false }
