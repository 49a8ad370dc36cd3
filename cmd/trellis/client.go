package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, then the shared credentials and config files, for the
profile --profile or AWS_PROFILE names); the EC2 instance metadata service is
never asked. When the chain has none and no profile was named, the
administrator's credentials that "trellis serve" wrote to
DATA/admin-credentials (profile trellis) are used.`

// clientCredentials are the credentials a client command signs with and
// where they came from (for notes; never the secret).
type clientCredentials struct {
	creds  aws.Credentials
	region string
	source string
	// adminFile is true for the administrator's file of the data
	// directory, the last resort, which a note always mentions.
	adminFile bool
}

// loadClientCredentials returns credentials from the AWS chain for
// profile (or the default one), else from the administrator's credentials
// file in dataDir; see credentialsHelp. dataFlag names the flag that sets
// dataDir, for messages.
func loadClientCredentials(ctx context.Context, profile, dataDir, dataFlag string) (clientCredentials, error) {
	opts := []func(*config.LoadOptions) error{config.WithEC2IMDSClientEnableState(imds.ClientDisabled)}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return clientCredentials{}, &exitError{code: exitFailed, err: fmt.Errorf("loading the AWS configuration: %w", err)}
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err == nil {
		return clientCredentials{creds: creds, region: cfg.Region, source: creds.Source}, nil
	}
	if profile != "" || os.Getenv("AWS_PROFILE") != "" {
		return clientCredentials{}, &exitError{code: exitFailed, err: fmt.Errorf("the AWS profile has no usable credentials: %w", err)}
	}
	path := filepath.Join(dataDir, controlplane.AdminCredentialsFile)
	if !fileExists(path) {
		return clientCredentials{}, &exitError{code: exitFailed, err: fmt.Errorf(
			"no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), "+
				"name a profile of your AWS credentials file with --profile, or start \"trellis serve\" once so that it writes %s "+
				"(%s says where)", path, dataFlag)}
	}
	cc, err := adminCredentials(ctx, dataDir)
	if err != nil {
		return clientCredentials{}, &exitError{code: exitFailed, err: fmt.Errorf("%w; delete it and restart \"trellis serve\" on a new data directory, or use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", err)}
	}
	return clientCredentials{creds: cc.Credentials, region: cc.Region, source: path + " (profile " + controlplane.AdminProfile + ")", adminFile: true}, nil
}

// regionalCredentials are credentials and the region configured with them.
type regionalCredentials struct {
	aws.Credentials
	Region string
}

// adminCredentials reads the administrator's credentials that the first
// start of "trellis serve" wrote to dataDir; the AWS configuration files
// are not consulted, and the region is only AWS_REGION's.
func adminCredentials(ctx context.Context, dataDir string) (regionalCredentials, error) {
	path := filepath.Join(dataDir, controlplane.AdminCredentialsFile)
	cfg, err := config.LoadDefaultConfig(ctx, config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithSharedCredentialsFiles([]string{path}), config.WithSharedConfigFiles([]string{}),
		config.WithSharedConfigProfile(controlplane.AdminProfile))
	if err == nil {
		var creds aws.Credentials
		if creds, err = cfg.Credentials.Retrieve(ctx); err == nil {
			return regionalCredentials{Credentials: creds, Region: cfg.Region}, nil
		}
	}
	return regionalCredentials{}, fmt.Errorf("%s has no usable profile %q: %w", path, controlplane.AdminProfile, err)
}

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
	cc, err := loadClientCredentials(ctx, f.profile, f.data, "--data")
	if err != nil {
		return nil, err
	}
	region := f.region
	if region == "" {
		region = cc.region
	}
	if region == "" {
		region = defaultRegion
	}
	return &controlPlaneClient{
		endpoint: strings.TrimSuffix(f.endpoint, "/"),
		region:   region,
		signer:   sigv4.NewSigner(cc.creds.AccessKeyID, sigv4.Credential{SecretAccessKey: cc.creds.SecretAccessKey, SessionToken: cc.creds.SessionToken}, nil),
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
