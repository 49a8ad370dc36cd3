package gateway

import (
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// hopHeaders are the hop-by-hop headers of RFC 9110, section 7.6.1: they
// describe one connection and are not forwarded.
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

func isHopHeader(name string) bool {
	for _, h := range hopHeaders {
		if name == h {
			return true
		}
	}
	return false
}

// send forwards r to the target fw names and copies the answer to w. It is
// the gateway's own proxy path: one outgoing request built directly, the
// caller's header values shared rather than copied, pooled copy buffers,
// and a flush after each write only when the answer is streamed. Requests
// that ask to switch protocols go through httputil.ReverseProxy instead,
// which handles the hijacked connection.
func (g *Gateway) send(w http.ResponseWriter, r *http.Request, fw *forward) {
	if r.Header.Get("Upgrade") != "" {
		g.proxy.ServeHTTP(w, r.WithContext(withForward(r.Context(), fw)))
		return
	}
	resp, err := g.roundTrip(r, fw)
	if err == nil {
		if err = checkAnswerStatus(resp.StatusCode); err != nil {
			resp.Body.Close()
		}
	}
	if err != nil {
		g.targetError(w, r, fw, err)
		return
	}
	defer resp.Body.Close()

	h := w.Header()
	removeConnectionHeaders(resp.Header)
	for name, values := range resp.Header {
		if !isHopHeader(name) {
			h[name] = values
		}
	}
	announced := len(resp.Trailer)
	if announced > 0 {
		names := make([]string, 0, announced)
		for name := range resp.Trailer {
			names = append(names, name)
		}
		h["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)
	if readErr, writeErr := g.copyBody(w, resp); readErr != nil {
		fw.failure = "TargetResponseIncomplete"
		g.log.Warn("answer from target cut short", "target", fw.target.Host, "err", readErr)
		// The status is sent; aborting the connection is the only way to
		// tell the caller the body is incomplete.
		panic(http.ErrAbortHandler)
	} else if writeErr != nil {
		return // the caller went away
	}
	if len(resp.Trailer) > announced {
		// Trailers the target did not announce.
		for name, values := range resp.Trailer {
			h[http.TrailerPrefix+name] = values
		}
		return
	}
	for name, values := range resp.Trailer {
		h[name] = values
	}
}

// roundTrip sends r to the target fw names and returns its answer. A
// request without a body to a plain-HTTP/1.1 target goes straight to the
// gateway's own client, which writes its head from the caller's header;
// others are built as an outgoing http.Request for the transport.
func (g *Gateway) roundTrip(r *http.Request, fw *forward) (*http.Response, error) {
	if err := checkForwardHead(r, fw); err != nil {
		return nil, &badHeadError{err}
	}
	noBody := r.ContentLength == 0 && (r.Body == nil || r.Body == http.NoBody)
	// CONNECT keeps net/http's request line (the authority, not a path).
	if g.plain != nil && noBody && !fw.http2 && fw.target.Scheme == "http" && r.Method != http.MethodConnect {
		return g.plain.forward(r, fw, g.upstreamTimeout)
	}
	out := &http.Request{
		Method:        r.Method,
		URL:           &fw.target,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        outHeader(r.Header, fw),
		Body:          r.Body,
		ContentLength: r.ContentLength,
		Trailer:       r.Trailer,
		Host:          r.Host,
	}
	fw.target.Path, fw.target.RawPath, fw.target.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	if noBody {
		out.Body = nil // no body: do not let the transport wait for one
	}
	tr := g.http1
	if fw.http2 {
		tr = g.http2
	}
	return tr.RoundTrip(out.WithContext(r.Context()))
}

// badHeadError is a caller's request that cannot be forwarded as sent.
type badHeadError struct{ err error }

func (e *badHeadError) Error() string { return e.err.Error() }

// outHeader returns the header of the outgoing request: the caller's,
// without hop-by-hop headers and without anything that only trellis may
// say, plus the headers trellis adds for the target. Values are shared
// with the caller's header, which is not modified.
func outHeader(in http.Header, fw *forward) http.Header {
	out := make(http.Header, len(in)+len(forwardHeaders))
	var connection []string
	if c := in["Connection"]; len(c) > 0 {
		connection = c
	}
	for name, values := range in {
		if passedOn(name, values, connection) {
			out[name] = values
		}
	}
	if _, ok := out["User-Agent"]; !ok {
		out["User-Agent"] = []string{""} // not Go's default
	}
	for i, name := range forwardHeaders {
		out[name] = fw.headers[i : i+1 : i+1]
	}
	return out
}

// passedOn reports whether the gateway forwards a caller's header: not a
// hop-by-hop header (except "TE: trailers"), not one only trellis may set,
// and not one the caller's Connection header lists.
func passedOn(name string, values, connection []string) bool {
	switch {
	case isHopHeader(name) && !(name == "Te" && teTrailers(values)):
		return false
	case spoofable(name), connection != nil && listedIn(connection, name):
		return false
	}
	return true
}

// teTrailers reports whether a TE header says only "trailers", which gRPC
// requires the target to see.
func teTrailers(values []string) bool {
	return len(values) == 1 && strings.EqualFold(textproto.TrimString(values[0]), "trailers")
}

// listedIn reports whether a Connection header lists name.
func listedIn(connection []string, name string) bool {
	for _, v := range connection {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(textproto.TrimString(f), name) {
				return true
			}
		}
	}
	return false
}

// removeConnectionHeaders removes the headers a response's Connection
// header lists.
func removeConnectionHeaders(h http.Header) {
	for _, v := range h["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				h.Del(f)
			}
		}
	}
}

// copyBody copies a target's answer to the caller, flushing after each
// write when the answer is streamed (no length, such as gRPC or server-sent
// events) so that the caller sees each part as it comes.
func (g *Gateway) copyBody(w http.ResponseWriter, resp *http.Response) (readErr, writeErr error) {
	pooled := g.buffers.get()
	defer g.buffers.put(pooled)
	buf := *pooled
	var flush func() error
	if resp.ContentLength == -1 {
		rc := http.NewResponseController(w)
		flush = rc.Flush
	}
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				return nil, err
			}
			if flush != nil {
				if err := flush(); err != nil {
					return nil, err
				}
			}
		}
		if rerr == io.EOF {
			return nil, nil
		}
		if rerr != nil {
			return rerr, nil
		}
	}
}
