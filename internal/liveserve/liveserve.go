// Package liveserve sets up a real `trellis serve` for the tools that
// measure one (tools/loadbench, tools/soak): it builds the binary, finds
// free loopback addresses, reads the administrator's key trellis writes on
// its first start, and configures a signed-only VPC Lattice service in
// front of a target through the VPC Lattice API, as a user would.
package liveserve

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"
)

// The account, region and VPC of the configurations the tools write.
const (
	Region  = "us-east-1"
	Account = "000000000000"
	VPC     = "vpc-0123456789abcdef0"
)

// Build compiles ./cmd/trellis to dst; it must run from the repository
// root.
func Build(dst string) error {
	build := exec.Command("go", "build", "-o", dst, "./cmd/trellis")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building trellis (run from the repository root): %w", err)
	}
	return nil
}

// FreeAddr returns a loopback address nothing listens on at the moment.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// WaitCredentials waits, up to 30 seconds, for the administrator's key
// that trellis serve writes to DATA/admin-credentials on its first start.
func WaitCredentials(data string) (id, secret string, err error) {
	path := filepath.Join(data, "admin-credentials")
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			k, v, _ := strings.Cut(line, "=")
			switch strings.TrimSpace(k) {
			case "aws_access_key_id":
				id = strings.TrimSpace(v)
			case "aws_secret_access_key":
				secret = strings.TrimSpace(v)
			}
		}
		if id != "" && secret != "" {
			return id, secret, nil
		}
	}
	return "", "", fmt.Errorf("trellis did not write %s", path)
}

// Client returns a VPC Lattice client of the control plane at control
// (HOST:PORT) with the key id and secret.
func Client(control, id, secret string) *vpclattice.Client {
	return vpclattice.New(vpclattice.Options{BaseEndpoint: aws.String("http://" + control), Region: Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
		})})
}

// AccountPolicy is an auth policy that lets every principal of Account
// invoke, and nobody else; sid names its one statement.
func AccountPolicy(sid string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":%q,"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"%s"}}}]}`, sid, Account)
}

// ConfigureService creates, named name, a service network and a service,
// both AWS_IAM with AccountPolicy, an HTTP listener on port 80 forwarding
// to an IP target group whose one target is target (HOST:PORT), and the
// associations of the service and of VPC with the network.
func ConfigureService(ctx context.Context, c *vpclattice.Client, name, target string) (*vpclattice.CreateServiceOutput, error) {
	host, portStr, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("target %q: %v", target, err)
	}
	sn, err := c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String(name), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return nil, err
	}
	svc, err := c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String(name), AuthType: types.AuthTypeAwsIam})
	if err != nil {
		return nil, err
	}
	for _, res := range []*string{sn.Id, svc.Id} {
		if _, err := c.PutAuthPolicy(ctx, &vpclattice.PutAuthPolicyInput{ResourceIdentifier: res, Policy: aws.String(AccountPolicy(name))}); err != nil {
			return nil, err
		}
	}
	tg, err := c.CreateTargetGroup(ctx, &vpclattice.CreateTargetGroupInput{Name: aws.String(name), Type: types.TargetGroupTypeIp,
		Config: &types.TargetGroupConfig{Port: aws.Int32(int32(port)), Protocol: types.TargetGroupProtocolHttp, VpcIdentifier: aws.String(VPC)}})
	if err != nil {
		return nil, err
	}
	if _, err := c.RegisterTargets(ctx, &vpclattice.RegisterTargetsInput{TargetGroupIdentifier: tg.Id,
		Targets: []types.Target{{Id: aws.String(host), Port: aws.Int32(int32(port))}}}); err != nil {
		return nil, err
	}
	if _, err := c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"), Protocol: types.ListenerProtocolHttp, Port: aws.Int32(80),
		DefaultAction: &types.RuleActionMemberForward{Value: types.ForwardAction{TargetGroups: []types.WeightedTargetGroup{{TargetGroupIdentifier: tg.Id, Weight: aws.Int32(1)}}}}}); err != nil {
		return nil, err
	}
	if _, err := c.CreateServiceNetworkServiceAssociation(ctx, &vpclattice.CreateServiceNetworkServiceAssociationInput{ServiceNetworkIdentifier: sn.Id, ServiceIdentifier: svc.Id}); err != nil {
		return nil, err
	}
	if _, err := c.CreateServiceNetworkVpcAssociation(ctx, &vpclattice.CreateServiceNetworkVpcAssociationInput{ServiceNetworkIdentifier: sn.Id, VpcIdentifier: aws.String(VPC)}); err != nil {
		return nil, err
	}
	return svc, nil
}
