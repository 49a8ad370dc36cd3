package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/sigv4"
)

// defaultRegion is the region client commands sign for when neither
// --region nor the AWS configuration names one.
const defaultRegion = "us-east-1"

// curlOptions are the flags of "trellis curl".
type curlOptions struct {
	method          string
	headers         []string
	data            string
	dataSet         bool
	include         bool
	verbose         bool
	silent          bool
	service         string
	region          string
	profile         string
	sigv4a          bool
	regionSet       string
	unsignedPayload bool
	unsigned        bool
	maxTime         time.Duration
	dataDir         string
}

func newCurlCommand() *cobra.Command {
	o := curlOptions{service: "vpc-lattice-svcs", regionSet: "*", dataDir: ".trellis"}
	cmd := &cobra.Command{
		Use:   "curl [flags] URL",
		Short: "Send an HTTP request signed with SigV4 or SigV4A, like curl --aws-sigv4",
		Long: `Send one HTTP request signed with AWS Signature Version 4 (or 4A with
--sigv4a) and print the response body on standard output.

Credentials come from the standard AWS chain: the AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN variables, then the shared
credentials and config files (~/.aws/credentials, ~/.aws/config, or the files
AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE name), for the profile
--profile or AWS_PROFILE names. The EC2 instance metadata service is not
asked: its credentials belong to AWS, not to trellis. When the chain has no
credentials and no profile was asked for, trellis curl uses the
administrator's credentials that "trellis serve" wrote to
DATA-DIR/admin-credentials (profile "trellis").

The region is --region, else the one the AWS configuration names (AWS_REGION,
the profile's region), else us-east-1. The service is the credential scope's
service: vpc-lattice-svcs (the default) for services behind VPC Lattice,
execute-api for API Gateway, sts or vpc-lattice for trellis's own control
plane.

With -d, the method defaults to POST and Content-Type to
application/x-www-form-urlencoded (as with curl). The body is sent byte for
byte: unlike curl's -d, line breaks in a file are kept.

-v prints on standard error what was signed: the canonical request, the
string to sign, the request sent and the response headers. The secret access
key never appears; the session token is shown as REDACTED. Compare this
canonical request with the one a server reports in a SignatureDoesNotMatch
error to find what differs.

Exit status: 0 when a response arrived (whatever its HTTP status, as curl
without --fail), 1 when no response arrived (connection refused, timeout) or
credentials could not be loaded, 2 on usage errors.`,
		Example: `  # Call a service behind trellis as the administrator "trellis serve" created
  trellis curl https://billing.example.internal/invoices

  # POST JSON read from a file, with a profile and region of your AWS configuration
  trellis curl --profile dev --region us-west-2 -X POST \
      -H 'Content-Type: application/json' -d @invoice.json \
      https://billing.example.internal/invoices

  # Ask trellis's STS who you are, showing the signature's details
  trellis curl -v --service sts --region us-east-1 \
      -d 'Action=GetCallerIdentity&Version=2011-06-15' http://127.0.0.1:7400/

  # Sign with SigV4A for every region, without signing the (large) body
  trellis curl --sigv4a --region-set '*' --unsigned-payload -d @big.bin -X PUT https://store.example.internal/blob`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.dataSet = cmd.Flags().Changed("data")
			return runCurl(cmd, o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.method, "request", "X", "", "HTTP method (default GET, or POST with -d)")
	f.StringArrayVarP(&o.headers, "header", "H", nil, `request header "Name: value" (repeatable); headers are signed`)
	f.StringVarP(&o.data, "data", "d", "", "request body: text, @FILE to read a file, @- to read standard input")
	f.BoolVarP(&o.include, "include", "i", false, "print the status line and response headers before the body")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print the canonical request, string to sign and headers on standard error")
	f.BoolVarP(&o.silent, "silent", "s", false, "print no notes on standard error (errors that stop the command still are)")
	f.StringVar(&o.service, "service", o.service, "service of the credential scope")
	f.StringVar(&o.region, "region", "", "signing region (default: the AWS configuration's, else "+defaultRegion+")")
	f.StringVar(&o.profile, "profile", "", "AWS profile to take credentials and region from (default: AWS_PROFILE, else default)")
	f.BoolVar(&o.sigv4a, "sigv4a", false, "sign with SigV4A (ECDSA P-256) for the regions of --region-set")
	f.StringVar(&o.regionSet, "region-set", o.regionSet, "SigV4A region set, comma-separated, wildcards allowed")
	f.BoolVar(&o.unsignedPayload, "unsigned-payload", false, "do not sign the body (sends x-amz-content-sha256: UNSIGNED-PAYLOAD)")
	f.BoolVar(&o.unsigned, "unsigned", false, "send the request without a signature (the anonymous caller)")
	f.DurationVar(&o.maxTime, "max-time", 0, "give up when the whole exchange takes longer (e.g. 10s; 0 means no limit)")
	f.StringVar(&o.dataDir, "data-dir", o.dataDir, "trellis data directory whose admin-credentials are the last resort")
	return cmd
}

func runCurl(cmd *cobra.Command, o curlOptions, rawURL string) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	note := func(format string, args ...any) {
		if !o.silent || o.verbose {
			fmt.Fprintf(stderr, "* "+format+"\n", args...)
		}
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if o.maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.maxTime)
		defer cancel()
	}
	req, err := newCurlRequest(ctx, o, rawURL, cmd.InOrStdin())
	if err != nil {
		return err
	}
	var token string
	if o.unsigned {
		note("sending without a signature (--unsigned)")
	} else if token, err = signCurlRequest(ctx, o, req, stderr, note); err != nil {
		return err
	}
	if o.verbose {
		fmt.Fprintf(stderr, "> %s %s HTTP/1.1\n> Host: %s\n", req.Method, req.URL.RequestURI(), curlHost(req))
		writeHeaders(stderr, "> ", "\n", req.Header, token)
		fmt.Fprintln(stderr, ">")
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &exitError{code: exitFailed, err: fmt.Errorf("no response from %s within --max-time %s", req.URL.Host, o.maxTime)}
		}
		return &exitError{code: exitFailed, err: fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), errors.Unwrap(err))}
	}
	defer resp.Body.Close()
	status := resp.Proto + " " + resp.Status
	if o.verbose {
		fmt.Fprintf(stderr, "< %s\n", status)
		writeHeaders(stderr, "< ", "\n", resp.Header, "")
		fmt.Fprintln(stderr, "<")
	}
	if o.include {
		fmt.Fprintf(stdout, "%s\r\n", status)
		writeHeaders(stdout, "", "\r\n", resp.Header, "")
		fmt.Fprint(stdout, "\r\n")
	}
	respBody, err := io.ReadAll(resp.Body)
	stdout.Write(respBody)
	if err != nil {
		return &exitError{code: exitFailed, err: fmt.Errorf("reading the response from %s: %w", req.URL.Host, err)}
	}
	if resp.StatusCode >= 400 && !o.unsigned {
		if b := string(respBody); strings.Contains(b, "SignatureDoesNotMatch") || strings.Contains(b, "InvalidSignatureException") {
			note("the server computed another signature: check --service and --region, then compare the canonical request of -v with what the server received")
		} else if strings.Contains(b, "InvalidClientTokenId") || strings.Contains(b, "UnrecognizedClient") {
			note("the server does not know this access key: are these trellis credentials (see --profile and --data-dir)?")
		}
	}
	return nil
}

// newCurlRequest builds the request of the URL, -X, -H and -d.
func newCurlRequest(ctx context.Context, o curlOptions, rawURL string, stdin io.Reader) (*http.Request, error) {
	if o.unsigned && (o.sigv4a || o.unsignedPayload) {
		return nil, usageErrorf("--unsigned sends no signature; it cannot be combined with --sigv4a or --unsigned-payload")
	}
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usageErrorf("%q is not an http:// or https:// URL", rawURL)
	}
	body, err := curlBody(o, stdin)
	if err != nil {
		return nil, err
	}
	method := o.method
	if method == "" {
		method = http.MethodGet
		if o.dataSet {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, usageErrorf("building the request: %v", err)
	}
	if err := setCurlHeaders(req, o.headers); err != nil {
		return nil, err
	}
	if o.dataSet && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// signCurlRequest signs req and returns the session token it sent, if
// any, so that output can redact it. With -v it prints what was signed.
func signCurlRequest(ctx context.Context, o curlOptions, req *http.Request, stderr io.Writer, note func(string, ...any)) (string, error) {
	cc, err := loadClientCredentials(ctx, o.profile, o.dataDir, "--data-dir")
	if err != nil {
		return "", err
	}
	token := cc.creds.SessionToken
	region := o.region
	if region == "" {
		region = cc.region
	}
	if region == "" {
		region = defaultRegion
	}
	if o.verbose || cc.adminFile {
		note("credentials: access key %s from %s", cc.creds.AccessKeyID, cc.source)
	}
	opts := sigv4.SignOptions{Service: o.service, Region: region}
	where := "region " + region
	if o.sigv4a {
		opts.Algorithm = sigv4.AlgorithmV4A
		opts.RegionSet = splitList(o.regionSet)
		if len(opts.RegionSet) == 0 {
			return "", usageErrorf("--region-set is empty; name regions such as us-east-1,eu-* or * for all")
		}
		where = "region set " + strings.Join(opts.RegionSet, ",")
	}
	if o.unsignedPayload {
		opts.PayloadHash, opts.AddContentSHA256Header = sigv4.UnsignedPayload, true
	}
	signer := sigv4.NewSigner(cc.creds.AccessKeyID, sigv4.Credential{SecretAccessKey: cc.creds.SecretAccessKey, SessionToken: token}, nil)
	signed, err := signer.Sign(req, opts)
	if err != nil {
		return "", usageErrorf("signing the request: %v", err)
	}
	if o.verbose {
		fmt.Fprintf(stderr, "* signed with %s for service %s, %s\n", signed.Algorithm, o.service, where)
		fmt.Fprintf(stderr, "* canonical request:\n%s\n", indent(redact(signed.CanonicalRequest, token)))
		fmt.Fprintf(stderr, "* string to sign:\n%s\n", indent(signed.StringToSign))
	}
	return token, nil
}

// curlBody returns the body -d asks for.
func curlBody(o curlOptions, stdin io.Reader) ([]byte, error) {
	switch {
	case !o.dataSet:
		return nil, nil
	case o.data == "@-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, usageErrorf("reading the body from standard input: %v", err)
		}
		return b, nil
	case strings.HasPrefix(o.data, "@"):
		b, err := os.ReadFile(o.data[1:])
		if err != nil {
			return nil, usageErrorf("reading the body: %v", err)
		}
		return b, nil
	}
	return []byte(o.data), nil
}

// setCurlHeaders adds the -H headers. "Host: name" sets the Host header
// sent (and signed) instead of the URL's.
func setCurlHeaders(req *http.Request, headers []string) error {
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return usageErrorf("-H %q is not a header: write \"Name: value\"", h)
		}
		if strings.EqualFold(name, "Host") {
			req.Host = value
			continue
		}
		req.Header.Add(name, value)
	}
	return nil
}

// curlHost is the Host header the request sends.
func curlHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	return r.URL.Host
}

// writeHeaders prints headers sorted by name, one per line ending in eol,
// with the session token redacted.
func writeHeaders(w io.Writer, prefix, eol string, h http.Header, token string) {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s%s", prefix, k, redact(v, token), eol)
		}
	}
}

// redact replaces the session token in s.
func redact(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "REDACTED")
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
