package network

import (
	"net/netip"
	"strconv"
	"time"
)

// Counters are the traffic of one flow over one capture window, as the
// caller measured it.
type Counters struct {
	Packets, Bytes uint64
	Start, End     time.Time
}

// Side chooses the interface a flow log record is captured at.
type Side uint8

// Sides of a flow.
const (
	AtSource Side = iota
	AtDestination
)

// AppendFlowLog appends one VPC Flow Logs record in the default (version 2)
// format to dst, without a trailing newline:
//
//	version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
//
// such as "2 111122223333 eni-0a1b2c3d 10.199.0.10 10.199.0.20 49152 443 6 10
// 840 1700000000 1700000060 ACCEPT OK". The account and interface are
// those of the chosen side; action is ACCEPT for a reachable verdict and
// REJECT otherwise; times are Unix seconds. Ports are 0 for protocols
// without ports. A field the verdict does not know (the interface of an
// internet address, say) is "-".
func AppendFlowLog(dst []byte, f Flow, v Verdict, at Side, c Counters) []byte {
	p := v.Source
	if at == AtDestination {
		p = v.Destination
	}
	dst = append(dst, "2 "...)
	dst = appendOr(dst, p.Account)
	dst = append(dst, ' ')
	dst = appendOr(dst, p.Interface)
	dst = append(dst, ' ')
	dst = appendAddr(dst, v.Source.Addr)
	dst = append(dst, ' ')
	dst = appendAddr(dst, v.Destination.Addr)
	var sp, dp uint16
	if f.Protocol.hasPorts() {
		sp, dp = f.SourcePort, f.DestPort
	}
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(sp), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(dp), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(f.Protocol), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, c.Packets, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, c.Bytes, 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, c.Start.Unix(), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, c.End.Unix(), 10)
	if v.Reachable {
		return append(dst, " ACCEPT OK"...)
	}
	return append(dst, " REJECT OK"...)
}

// FlowLogRecord returns the record AppendFlowLog appends.
func FlowLogRecord(f Flow, v Verdict, at Side, c Counters) string {
	return string(AppendFlowLog(make([]byte, 0, 128), f, v, at, c))
}

func appendOr(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, s...)
}

func appendAddr(dst []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, '-')
	}
	return a.AppendTo(dst)
}
