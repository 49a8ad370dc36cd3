package model

import "testing"

func TestARNs(t *testing.T) {
	const sn, svc, l, r = "sn-0123456789abcdefg", "svc-0123456789abcdefg", "listener-0123456789abcdefg", "rule-0123456789abcdefg"
	for _, tc := range []struct {
		arn  string
		want ResourceARN
	}{
		{NewARN("us-west-2", "111122223333", TypeServiceNetwork, sn), ResourceARN{Type: TypeServiceNetwork, ID: sn}},
		{NewARN("us-west-2", "111122223333", TypeService, svc), ResourceARN{Type: TypeService, ID: svc}},
		{NewARN("us-west-2", "111122223333", TypeTargetGroup, "tg-0123456789abcdefg"), ResourceARN{Type: TypeTargetGroup, ID: "tg-0123456789abcdefg"}},
		{NewARN("us-west-2", "111122223333", TypeServiceNetworkServiceAssociation, "snsa-0123456789abcdefg"), ResourceARN{Type: TypeServiceNetworkServiceAssociation, ID: "snsa-0123456789abcdefg"}},
		{NewARN("us-west-2", "111122223333", TypeServiceNetworkVPCAssociation, "snva-0123456789abcdefg"), ResourceARN{Type: TypeServiceNetworkVPCAssociation, ID: "snva-0123456789abcdefg"}},
		{NewARN("us-west-2", "111122223333", TypeAccessLogSubscription, "als-0123456789abcdefg"), ResourceARN{Type: TypeAccessLogSubscription, ID: "als-0123456789abcdefg"}},
		{ListenerARN("us-west-2", "111122223333", svc, l), ResourceARN{Type: TypeListener, ID: l, ServiceID: svc}},
		{RuleARN("us-west-2", "111122223333", svc, l, r), ResourceARN{Type: TypeRule, ID: r, ServiceID: svc, ListenerID: l}},
	} {
		got, err := ParseResourceARN(tc.arn)
		tc.want.Partition, tc.want.Region, tc.want.Account = "aws", "us-west-2", "111122223333"
		if err != nil || got != tc.want {
			t.Errorf("ParseResourceARN(%s) = %+v, %v", tc.arn, got, err)
		}
		if got.String() != tc.arn {
			t.Errorf("String() = %s, want %s", got.String(), tc.arn)
		}
	}
	want := map[string]string{
		"servicenetwork": "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/" + sn,
		"listener":       "arn:aws:vpc-lattice:us-west-2:111122223333:service/" + svc + "/listener/" + l,
		"rule":           "arn:aws:vpc-lattice:us-west-2:111122223333:service/" + svc + "/listener/" + l + "/rule/" + r,
	}
	if NewARN("us-west-2", "111122223333", TypeServiceNetwork, sn) != want["servicenetwork"] ||
		ListenerARN("us-west-2", "111122223333", svc, l) != want["listener"] ||
		RuleARN("us-west-2", "111122223333", svc, l, r) != want["rule"] {
		t.Error("ARN formats differ from the API Reference's")
	}
}

func TestParseResourceARNRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef",        // 16 characters
		"arn:aws:vpc-lattice:us-west-2:11112222333:service/svc-0123456789abcdefg",        // 11-digit account
		"arn:aws:ec2:us-west-2:111122223333:service/svc-0123456789abcdefg",               // another service
		"arn:aws:vpc-lattice:us-west-2:111122223333:service/sn-0123456789abcdefg",        // ID of another type
		"arn:aws:vpc-lattice:us-west-2:111122223333:widget/svc-0123456789abcdefg",        // unknown type
		"arn:aws:vpc-lattice:us_west_2:111122223333:service/svc-0123456789abcdefg",       // region characters
		"arn:AWS:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdefg",       // partition characters
		"arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdefg/extra", // trailing segment
		"arn:aws:vpc-lattice:us-west-2:111122223333:listener/listener-0123456789abcdefg", // listener without service
		"arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdefg/listener/rule-0123456789abcdefg",
	} {
		if a, err := ParseResourceARN(s); err == nil {
			t.Errorf("ParseResourceARN(%q) = %+v", s, a)
		}
	}
}

func TestParseIdentifier(t *testing.T) {
	const svc = "svc-0123456789abcdefg"
	if id, arn, ok := ParseIdentifier(TypeService, svc); !ok || id != svc || arn != nil {
		t.Errorf("by ID: %s %v %v", id, arn, ok)
	}
	if id, arn, ok := ParseIdentifier(TypeService, NewARN("eu-west-1", "111122223333", TypeService, svc)); !ok || id != svc || arn.Region != "eu-west-1" {
		t.Errorf("by ARN: %s %v %v", id, arn, ok)
	}
	for _, s := range []string{"", "svc", "sn-0123456789abcdefg", NewARN("us-west-2", "111122223333", TypeServiceNetwork, "sn-0123456789abcdefg")} {
		if _, _, ok := ParseIdentifier(TypeService, s); ok {
			t.Errorf("ParseIdentifier(service, %q) accepted", s)
		}
	}
}
