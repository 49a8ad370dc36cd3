package model

import "testing"

func TestParseLogDestination(t *testing.T) {
	for _, tc := range []struct {
		arn  string
		want LogDestination
		ok   bool
	}{
		{"arn:aws:logs:us-west-2:111122223333:log-group:/lattice/payments", LogDestination{DestinationFile, "logs", "cloudwatch/lattice/payments.log"}, true},
		{"arn:aws:logs:us-west-2:111122223333:log-group:payments:*", LogDestination{DestinationFile, "logs", "cloudwatch/payments.log"}, true},
		{"arn:aws:logs:us-west-2:111122223333:log-group:stdout", LogDestination{Kind: DestinationStdout, Service: "logs"}, true},
		{"arn:aws:s3:::lattice-logs", LogDestination{DestinationFile, "s3", "s3/lattice-logs/access.log"}, true},
		{"arn:aws:s3:::lattice-logs/prod/net/", LogDestination{DestinationFile, "s3", "s3/lattice-logs/prod/net/access.log"}, true},
		{"arn:aws:firehose:us-west-2:111122223333:deliverystream/lattice", LogDestination{DestinationFile, "firehose", "firehose/lattice.log"}, true},
		{"arn:aws:firehose:us-west-2:111122223333:deliverystream/stdout", LogDestination{Kind: DestinationStdout, Service: "firehose"}, true},
		{"arn:aws:logs:us-west-2:111122223333:log-group:../etc", LogDestination{}, false},
		{"arn:aws:s3:::bucket/../../etc", LogDestination{}, false},
		{"arn:aws:s3:us-west-2:111122223333:bucket", LogDestination{}, false},
		{"arn:aws:s3:::B", LogDestination{}, false},
		{"arn:aws:logs:us-west-2:111122223333:stream:x", LogDestination{}, false},
		{"arn:aws:firehose:us-west-2:111122223333:stream/x", LogDestination{}, false},
		{"arn:aws:sqs:us-west-2:111122223333:queue", LogDestination{}, false},
		{"arn:aws:s3:::x", LogDestination{}, false},
		{"not an arn", LogDestination{}, false},
	} {
		got, err := ParseLogDestination(tc.arn)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLogDestination(%q) = %+v, %v", tc.arn, got, err)
		}
		if err != nil && err.(*ValidationError).Fields[0].Name != "destinationArn" {
			t.Errorf("%q: %+v", tc.arn, err)
		}
	}
}

func TestServiceDNSName(t *testing.T) {
	a := ServiceDNSName("billing", "svc-0123456789abcdefg", "111122223333", "us-west-2", "")
	b := ServiceDNSName("billing", "svc-0123456789abcdefg", "444455556666", "us-west-2", "")
	if a[:len("billing-0123456789abcdefg.")] != "billing-0123456789abcdefg." || a[len(a)-len(".vpc-lattice-svcs.us-west-2.on.aws"):] != ".vpc-lattice-svcs.us-west-2.on.aws" {
		t.Errorf("name %s", a)
	}
	if a == b || AccountDNSLabel("111122223333", "us-west-2") != AccountDNSLabel("111122223333", "us-west-2") {
		t.Error("the account label is not per account, or not stable")
	}
	if c := ServiceDNSName("billing", "svc-0123456789abcdefg", "111122223333", "us-west-2", ".Lattice.Internal."); c != "billing-0123456789abcdefg."+AccountDNSLabel("111122223333", "us-west-2")+".lattice.internal" {
		t.Errorf("custom suffix: %s", c)
	}
}
