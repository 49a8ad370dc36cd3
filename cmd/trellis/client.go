package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/spf13/cobra"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/sigv4"
)

// clientFlags are the flags of commands that call a running trellis.
type clientFlags struct {
	endpoint string
	profile  string
	region   string
	data     string
}

func (f *clientFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.endpoint, "endpoint", "http://127.0.0.1:7400", "the trellis control plane's URL")
	cmd.Flags().StringVar(&f.profile, "profile", "", "AWS profile to sign with (default: see Credentials below)")
	cmd.Flags().StringVar(&f.region, "region", "", "region to sign for (default: the profile's region, else us-east-1)")
	cmd.Flags().StringVar(&f.data, "data", ".trellis", "data directory whose admin-credentials file is the fallback credential")
}

// credentialsHelp explains where client commands find credentials.
const credentialsHelp = `
Credentials: when --profile, AWS_PROFILE or AWS_ACCESS_KEY_ID is set, the
standard AWS chain (environment, then the shared credentials and config
files) is used. Otherwise the administrator credentials that "trellis serve"
wrote to DATA/admin-credentials (profile trellis) are used when that file
exists, and the standard chain's default profile when it does not.`

// clientCredentials is an access key to sign with and where it came from.
type clientCredentials struct {
	accessKeyID string
	cred        sigv4.Credential
	region      string
	source      string
}

// loadClientCredentials finds the credentials a client command signs with;
// see credentialsHelp. The instance metadata service is never asked.
func loadClientCredentials(ctx context.Context, f clientFlags) (clientCredentials, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
	}
	source := "the AWS credential chain"
	explicit := f.profile != "" || os.Getenv("AWS_PROFILE") != "" || os.Getenv("AWS_ACCESS_KEY_ID") != ""
	admin := filepath.Join(f.data, controlplane.AdminCredentialsFile)
	switch {
	case f.profile != "":
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
		source = "profile " + f.profile
	case !explicit && fileExists(admin):
		opts = append(opts,
			config.WithSharedCredentialsFiles([]string{admin}),
			config.WithSharedConfigFiles([]string{}),
			config.WithSharedConfigProfile(controlplane.AdminProfile))
		source = admin
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clientCredentials{}, fmt.Errorf("loading AWS credentials from %s: %w", source, err)
	}
	if cfg.Credentials == nil {
		return clientCredentials{}, errors.New(noCredentials)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return clientCredentials{}, fmt.Errorf("no credentials found in %s (%v)\n%s", source, err, noCredentials)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	out := clientCredentials{
		accessKeyID: c.AccessKeyID,
		cred:        sigv4.Credential{SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken},
		region:      region,
		source:      source,
	}
	return out, nil
}

const noCredentials = `to sign requests, start "trellis serve" in this directory (it writes
.trellis/admin-credentials on first start), point --data at its data directory,
or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use --profile`

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// controlPlaneClient sends signed requests to trellis's native API.
type controlPlaneClient struct {
	endpoint string
	region   string
	signer   *sigv4.Signer
	http     *http.Client
}

func newControlPlaneClient(ctx context.Context, f clientFlags) (*controlPlaneClient, error) {
	if !strings.HasPrefix(f.endpoint, "http://") && !strings.HasPrefix(f.endpoint, "https://") {
		return nil, usageErrorf("--endpoint %q is not an http:// or https:// URL", f.endpoint)
	}
	cc, err := loadClientCredentials(ctx, f)
	if err != nil {
		return nil, &exitError{code: exitUsage, err: err}
	}
	return &controlPlaneClient{
		endpoint: strings.TrimSuffix(f.endpoint, "/"),
		region:   cc.region,
		signer:   sigv4.NewSigner(cc.accessKeyID, cc.cred, nil),
		http:     &http.Client{Timeout: time.Minute},
	}, nil
}

// do sends a signed request for the native API and returns the response
// body when the status is 200, or the API's error as a Go error.
func (c *controlPlaneClient) do(ctx context.Context, method, pathAndQuery string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+pathAndQuery, rd)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if _, err := c.signer.Sign(req, sigv4.SignOptions{Service: controlplane.NativeSigningService, Region: c.region}); err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("signing the request: %w", err)}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("%v (is \"trellis serve\" running at %s?)", err, c.endpoint)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &exitError{code: exitFailed, err: fmt.Errorf("reading the response: %w", err)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &exitError{code: exitFailed, err: describeAPIError(resp.StatusCode, data)}
	}
	return data, nil
}
