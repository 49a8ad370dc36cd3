package main

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"
	"github.com/aws/smithy-go"
)

// TestServeRateLimit checks that rateLimit reaches the control plane's APIs
// and that aws-sdk-go-v2 (with its retries turned off) sees the throttling
// error each API answers: with a burst of 2 and a refill far slower than
// the test, the third call of the account is throttled; perSecond 0 turns
// the limit off.
func TestServeRateLimit(t *testing.T) {
	isolateAWSEnvironment(t)
	ctx := context.Background()
	type client struct {
		name string
		call func(cp, region, id, secret string) error
		// throttled reports whether err is the API's throttling error.
		throttled func(err error) bool
	}
	creds := func(id, secret string) aws.CredentialsProvider {
		return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		})
	}
	httpClient := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	clients := []client{
		{"VPC Lattice", func(cp, region, id, secret string) error {
			c := vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String(cp), Region: region, RetryMaxAttempts: 1,
				HTTPClient: httpClient, Credentials: creds(id, secret)})
			_, err := c.ListServices(ctx, &vpclattice.ListServicesInput{})
			return err
		}, func(err error) bool {
			var th *types.ThrottlingException
			return errors.As(err, &th) && th.RetryAfterSeconds != nil && *th.RetryAfterSeconds > 0
		}},
		{"STS", func(cp, region, id, secret string) error {
			c := sts.New(sts.Options{BaseEndpoint: aws.String(cp), Region: region, RetryMaxAttempts: 1,
				HTTPClient: httpClient, Credentials: creds(id, secret)})
			_, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, func(err error) bool {
			var ae smithy.APIError
			return errors.As(err, &ae) && ae.ErrorCode() == "Throttling"
		}},
	}
	tests := []struct {
		name  string
		limit rateLimit
		calls int
		// throttledFrom is the first call (counting from 1) that is
		// throttled; 0 means none is.
		throttledFrom int
	}{
		{"burst of 2", rateLimit{PerSecond: 0.001, Burst: 2}, 3, 3},
		{"burst defaults to twice the rate", rateLimit{PerSecond: 1.5}, 4, 4},
		{"off", rateLimit{PerSecond: 0}, 30, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			s := startServer(t, data, func(c *serveConfig) { c.RateLimit = &tt.limit })
			id, secret := adminKey(t, data)
			for _, c := range clients {
				for i := 1; i <= tt.calls; i++ {
					err := c.call(s.url, defaultServeConfig().Region, id, secret)
					switch {
					case tt.throttledFrom != 0 && i >= tt.throttledFrom:
						if !c.throttled(err) {
							t.Errorf("%s call %d: %v, want a throttling error", c.name, i, err)
						}
					case err != nil:
						t.Errorf("%s call %d: %v", c.name, i, err)
					}
				}
			}
		})
	}
}
