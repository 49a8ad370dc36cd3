// Package zerotrustlab loads the zero-trust lab of examples/zero-trust-lab
// for tests and the scanner: the configuration after each hardening stage,
// and role sessions for its workloads so that they can sign calls.
package zerotrustlab

import (
	"fmt"
	"strings"
	"time"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/identity"
)

// Stages is the number of stages of the lab.
const Stages = 5

// Access key IDs of the workloads' role sessions.
const (
	// KeyServiceA signs as ServiceAInstanceRole (ServiceA's instance).
	KeyServiceA = "ASIAAAAAAAAAAAAAAAA2"
	// KeyLambda signs as ServiceALambdaRole (both Lambda functions).
	KeyLambda = "ASIAAAAAAAAAAAAAAAA3"
	// KeyOther signs as OtherInstanceRole (the instance of the other VPC).
	KeyOther = "ASIAAAAAAAAAAAAAAAA4"
)

// Document returns the configuration after stage n (1 to Stages): stage 1
// with the sections of every later stage up to n laid over it, as applying
// them in order leaves it.
func Document(n int) (*controlplane.Document, error) {
	if n < 1 || n > Stages {
		return nil, fmt.Errorf("the lab has stages 1 to %d, not %d", Stages, n)
	}
	var doc *controlplane.Document
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("zero-trust-lab/stage%d.yaml", i)
		data, err := examples.ZeroTrustLab.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d, err := controlplane.DecodeDocument(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc == nil {
			doc = d
		} else {
			doc = doc.Overlay(d)
		}
	}
	return doc, nil
}

// Secret is the secret access key of every lab session.
var Secret = strings.Repeat("L", 40)

// Token returns the session token of a lab session.
func Token(key string) string { return "lab-token-" + key }

// Sessions returns role sessions for the lab's workloads, issued at issued
// and valid for a year.
func Sessions(issued time.Time) []identity.Session {
	s := func(key, role, name string) identity.Session {
		return identity.Session{AccessKeyID: key, SecretAccessKey: Secret, SessionToken: Token(key),
			RoleARN: role, SessionName: name, Issued: issued, Expires: issued.Add(365 * 24 * time.Hour)}
	}
	return []identity.Session{
		s(KeyServiceA, "arn:aws:iam::111122223333:role/ServiceAInstanceRole", "i-0aaaa0001"),
		s(KeyLambda, "arn:aws:iam::111122223333:role/ServiceALambdaRole", "lambda"),
		s(KeyOther, "arn:aws:iam::444455556666:role/OtherInstanceRole", "i-0bbbb0001"),
	}
}
