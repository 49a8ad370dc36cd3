package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultUpstreamTimeout is how long the gateway waits, by default, for a
// target to start answering (its status line and headers) before it gives
// up with 504.
const DefaultUpstreamTimeout = 60 * time.Second

// errUpstreamTimeout is the cause of a request to a target that did not
// start answering in time.
var errUpstreamTimeout = errors.New("the target did not answer in time")

// timeoutTransport bounds the time a target takes to send its response
// headers. The body is not bounded: a long stream (gRPC, server-sent
// events) that has started keeps going for as long as both sides want.
type timeoutTransport struct {
	rt      http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(r.Context())
	timer := time.AfterFunc(t.timeout, func() { cancel(errUpstreamTimeout) })
	resp, err := t.rt.RoundTrip(r.WithContext(ctx))
	if !timer.Stop() {
		// The timer fired, whether or not the headers arrived just after.
		if err == nil {
			resp.Body.Close()
		}
		cancel(nil)
		return nil, fmt.Errorf("%w (%s)", errUpstreamTimeout, t.timeout)
	}
	if err != nil {
		cancel(nil)
		return nil, err
	}
	if rw, ok := resp.Body.(io.ReadWriteCloser); ok {
		// A switched protocol's connection: the proxy writes to it too.
		resp.Body = &cancelOnCloseRW{ReadWriteCloser: rw, cancel: cancel}
	} else {
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	}
	return resp, nil
}

// cancelOnClose releases a request's context when its answer's body is
// closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// cancelOnCloseRW is cancelOnClose for a body that is also written to.
type cancelOnCloseRW struct {
	io.ReadWriteCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnCloseRW) Close() error {
	err := c.ReadWriteCloser.Close()
	c.cancel(nil)
	return err
}
