package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/trellisproject/trellis/model"
)

// An Entry is one line of the access log: VPC Lattice's field names, with
// "-" for what does not apply, and trellisDecision naming the layer that
// decided and the deciding statement.
type Entry struct {
	StartTime            string `json:"startTime"`
	Duration             int64  `json:"duration"`
	RequestMethod        string `json:"requestMethod"`
	RequestPath          string `json:"requestPath"`
	Protocol             string `json:"protocol"`
	ResponseCode         int    `json:"responseCode"`
	BytesReceived        int64  `json:"bytesReceived"`
	BytesSent            int64  `json:"bytesSent"`
	ServiceNetworkArn    string `json:"serviceNetworkArn"`
	ServiceArn           string `json:"serviceArn"`
	TargetGroupArn       string `json:"targetGroupArn"`
	ListenerID           string `json:"listenerId"`
	SourceVpcArn         string `json:"sourceVpcArn"`
	SourceVpcID          string `json:"sourceVpcId"`
	SourceIPPort         string `json:"sourceIpPort"`
	TargetIPPort         string `json:"targetIpPort"`
	UserAgent            string `json:"userAgent"`
	HostHeader           string `json:"hostHeader"`
	TLSVersion           string `json:"tlsVersion"`
	AuthDeniedReason     string `json:"authDeniedReason"`
	FailureReason        string `json:"failureReason"`
	CallerPrincipal      string `json:"callerPrincipal"`
	CallerPrincipalOrgID string `json:"callerPrincipalOrgID"`
	ResolvedUser         string `json:"resolvedUser"`
	TrellisDecision      string `json:"trellisDecision"`
}

// dashes replaces every empty string field with "-".
func (e *Entry) dashes() {
	for _, p := range []*string{&e.StartTime, &e.RequestMethod, &e.RequestPath, &e.Protocol, &e.ServiceNetworkArn, &e.ServiceArn,
		&e.TargetGroupArn, &e.ListenerID, &e.SourceVpcArn, &e.SourceVpcID, &e.SourceIPPort, &e.TargetIPPort, &e.UserAgent,
		&e.HostHeader, &e.TLSVersion, &e.AuthDeniedReason, &e.FailureReason, &e.CallerPrincipal, &e.CallerPrincipalOrgID,
		&e.ResolvedUser, &e.TrellisDecision} {
		if *p == "" {
			*p = "-"
		}
	}
}

// AccessLogs writes access-log entries to the destinations of access-log
// subscriptions. Each destination ARN maps to a file under a directory, or
// to standard output, as model.ParseLogDestination describes. Files are
// opened on first use, in append mode, and each entry is written as one
// line with one write. AccessLogs is safe for concurrent use.
type AccessLogs struct {
	dir    string
	stdout io.Writer

	mu    sync.Mutex
	dests map[string]io.Writer // by destination ARN
	files map[string]*os.File  // by path
}

// NewAccessLogs returns AccessLogs that write files under dir and
// "stdout" destinations to stdout.
func NewAccessLogs(dir string, stdout io.Writer) *AccessLogs {
	return &AccessLogs{dir: dir, stdout: stdout, dests: map[string]io.Writer{}, files: map[string]*os.File{}}
}

// open returns the writer of a destination ARN; the caller holds mu.
func (a *AccessLogs) open(arn string) (io.Writer, error) {
	if w, ok := a.dests[arn]; ok {
		return w, nil
	}
	d, err := model.ParseLogDestination(arn)
	if err != nil {
		return nil, fmt.Errorf("access-log destination %s: %w", arn, err)
	}
	var w io.Writer
	switch d.Kind {
	case model.DestinationStdout:
		if a.stdout == nil {
			return nil, fmt.Errorf("access-log destination %s is standard output, which this gateway does not write to", arn)
		}
		w = a.stdout
	default:
		p := filepath.Join(a.dir, filepath.FromSlash(d.Path))
		f, ok := a.files[p]
		if !ok {
			if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
				return nil, fmt.Errorf("access-log destination %s: %w", arn, err)
			}
			f, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
			if err != nil {
				return nil, fmt.Errorf("access-log destination %s: %w", arn, err)
			}
			a.files[p] = f
		}
		w = f
	}
	a.dests[arn] = w
	return w, nil
}

// Write writes e to every destination in arns once (two subscriptions with
// the same destination get one line).
func (a *AccessLogs) Write(e *Entry, arns []string) error {
	if len(arns) == 0 {
		return nil
	}
	e.dashes()
	line, err := json.Marshal(e)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	seen := make(map[io.Writer]bool, len(arns))
	for _, arn := range arns {
		w, err := a.open(arn)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		if _, err := w.Write(line); err != nil {
			errs = append(errs, fmt.Errorf("access-log destination %s: %w", arn, err))
		}
	}
	return errors.Join(errs...)
}

// Close closes the files.
func (a *AccessLogs) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for p, f := range a.files {
		errs = append(errs, f.Close())
		delete(a.files, p)
	}
	clear(a.dests)
	return errors.Join(errs...)
}
