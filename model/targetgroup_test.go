package model

import (
	"encoding/json"
	"testing"
)

func TestNormalizeTargetGroup(t *testing.T) {
	cfg := func(s string) *TargetGroupConfig {
		if s == "" {
			return nil
		}
		var c TargetGroupConfig
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	for _, tc := range []struct {
		name string
		typ  TargetGroupType
		cfg  string
		ok   bool
	}{
		{"http", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567"}`, true},
		{"https grpc v6", TargetGroupIP, `{"protocol":"HTTPS","protocolVersion":"GRPC","ipAddressType":"IPV6","port":8443,"vpcIdentifier":"vpc-01234567"}`, true},
		{"tcp", TargetGroupIP, `{"protocol":"TCP","vpcIdentifier":"vpc-01234567"}`, true},
		{"tcp with version", TargetGroupIP, `{"protocol":"TCP","protocolVersion":"HTTP1","vpcIdentifier":"vpc-01234567"}`, false},
		{"lambda", TargetGroupLambda, ``, false},
		{"instance", TargetGroupInstance, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567"}`, false},
		{"no type", "", `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567"}`, false},
		{"bad type", "WIDGET", `{}`, false},
		{"no config", TargetGroupIP, ``, false},
		{"no protocol", TargetGroupIP, `{"vpcIdentifier":"vpc-01234567"}`, false},
		{"bad protocol", TargetGroupIP, `{"protocol":"UDP","vpcIdentifier":"vpc-01234567"}`, false},
		{"port 0", TargetGroupIP, `{"protocol":"HTTP","port":0,"vpcIdentifier":"vpc-01234567"}`, false},
		{"port 65536", TargetGroupIP, `{"protocol":"HTTP","port":65536,"vpcIdentifier":"vpc-01234567"}`, false},
		{"no vpc", TargetGroupIP, `{"protocol":"HTTP"}`, false},
		{"lambda version", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","lambdaEventStructureVersion":"V2"}`, false},
		{"health check", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"healthCheckIntervalSeconds":5,"healthCheckTimeoutSeconds":120,"healthyThresholdCount":10,"unhealthyThresholdCount":2,"path":"/health?x=1","matcher":{"httpCode":"200-299,301"}}}`, true},
		{"interval 4", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"healthCheckIntervalSeconds":4}}`, false},
		{"timeout 121", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"healthCheckTimeoutSeconds":121}}`, false},
		{"threshold 11", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"healthyThresholdCount":11}}`, false},
		{"bad path", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"path":"health"}}`, false},
		{"bad matcher", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"matcher":{"httpCode":"2xx"}}}`, false},
		{"health check grpc", TargetGroupIP, `{"protocol":"HTTP","vpcIdentifier":"vpc-01234567","healthCheck":{"protocolVersion":"GRPC"}}`, false},
	} {
		c := cfg(tc.cfg)
		if err := NormalizeTargetGroup(tc.typ, c); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	c := cfg(`{"protocol":"HTTPS","vpcIdentifier":"vpc-01234567"}`)
	if err := NormalizeTargetGroup(TargetGroupIP, c); err != nil {
		t.Fatal(err)
	}
	h := c.HealthCheck
	if *c.Port != 443 || c.ProtocolVersion != "HTTP1" || c.IPAddressType != "IPV4" || !*h.Enabled || *h.HealthCheckIntervalSeconds != 30 ||
		*h.HealthCheckTimeoutSeconds != 5 || *h.HealthyThresholdCount != 5 || *h.UnhealthyThresholdCount != 2 || *h.Path != "/" ||
		h.Protocol != "HTTPS" || h.ProtocolVersion != "HTTP1" || *h.Matcher.HTTPCode != "200" {
		t.Errorf("defaults: %+v %+v", c, h)
	}
}

func TestParseTargetIP(t *testing.T) {
	for _, tc := range []struct {
		s, typ, want string
		ok           bool
	}{
		{"10.0.0.1", "IPV4", "10.0.0.1", true},
		{"10.0.0.1", "", "10.0.0.1", true},
		{"2001:DB8::1", "IPV6", "2001:db8::1", true},
		{"2001:db8::1", "IPV4", "", false},
		{"10.0.0.1", "IPV6", "", false},
		{"::ffff:10.0.0.1", "IPV6", "", false},
		{"fe80::1%eth0", "IPV6", "", false},
		{"10.0.0", "IPV4", "", false},
		{"i-0123456789abcdef0", "IPV4", "", false},
	} {
		got, ok := ParseTargetIP(tc.s, tc.typ)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseTargetIP(%q, %s) = %q, %v", tc.s, tc.typ, got, ok)
		}
	}
}
