//go:build !linux

package gateway

import (
	"context"
	"errors"
	"net"
)

// eventLoopAvailable reports whether this platform has the event-loop
// engine: it needs Linux's epoll.
const eventLoopAvailable = false

type loopEngine struct{}

func (g *Gateway) startLoopEngine(Ingress, *ingressHandler) (*loopEngine, error) {
	return nil, errors.New("the event-loop engine needs Linux")
}

func (e *loopEngine) Addr() net.Addr { return nil }

func (e *loopEngine) shutdown(context.Context) error { return nil }
