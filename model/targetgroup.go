package model

import (
	"net/netip"
	"regexp"
)

// The protocols, protocol versions and address types of target groups.
const (
	ProtocolHTTP  = "HTTP"
	ProtocolHTTPS = "HTTPS"
	ProtocolTCP   = "TCP"

	ProtocolVersionHTTP1 = "HTTP1"
	ProtocolVersionHTTP2 = "HTTP2"
	ProtocolVersionGRPC  = "GRPC"

	IPAddressTypeIPv4 = "IPV4"
	IPAddressTypeIPv6 = "IPV6"
)

// Health check defaults and ranges from the API Reference
// (HealthCheckConfig).
const (
	DefaultHealthCheckIntervalSeconds = 30
	DefaultHealthCheckTimeoutSeconds  = 5
	DefaultHealthyThresholdCount      = 5
	DefaultUnhealthyThresholdCount    = 2
	DefaultHealthCheckPath            = "/"
	DefaultHealthCheckMatcher         = "200"
)

// TargetGroupConfig is the configuration of a target group. Only the health
// check can change after creation.
type TargetGroupConfig struct {
	Port            *int               `json:"port,omitempty"`
	Protocol        string             `json:"protocol,omitempty"`
	ProtocolVersion string             `json:"protocolVersion,omitempty"`
	IPAddressType   string             `json:"ipAddressType,omitempty"`
	VPCIdentifier   string             `json:"vpcIdentifier,omitempty"`
	HealthCheck     *HealthCheckConfig `json:"healthCheck,omitempty"`
	// LambdaEventStructureVersion applies to LAMBDA target groups, which
	// trellis does not support; it is refused.
	LambdaEventStructureVersion string `json:"lambdaEventStructureVersion,omitempty"`
}

// HealthCheckConfig says how targets are checked. trellis stores and
// returns it; the gateway decides whether to probe.
type HealthCheckConfig struct {
	Enabled                    *bool    `json:"enabled,omitempty"`
	HealthCheckIntervalSeconds *int     `json:"healthCheckIntervalSeconds,omitempty"`
	HealthCheckTimeoutSeconds  *int     `json:"healthCheckTimeoutSeconds,omitempty"`
	HealthyThresholdCount      *int     `json:"healthyThresholdCount,omitempty"`
	UnhealthyThresholdCount    *int     `json:"unhealthyThresholdCount,omitempty"`
	Matcher                    *Matcher `json:"matcher,omitempty"`
	Path                       *string  `json:"path,omitempty"`
	Port                       *int     `json:"port,omitempty"`
	Protocol                   string   `json:"protocol,omitempty"`
	ProtocolVersion            string   `json:"protocolVersion,omitempty"`
}

// Matcher holds the HTTP codes of a healthy response, such as "200" or
// "200-299".
type Matcher struct {
	HTTPCode *string `json:"httpCode,omitempty"`
}

var (
	healthPathRe = regexp.MustCompile(`^(/[a-zA-Z0-9@:%_+.~#?&/=-]*)?$`)
	httpCodeRe   = regexp.MustCompile(`^[0-9,-]*$`)
)

// NormalizeTargetGroup checks the type and configuration of a new target
// group and fills in the defaults VPC Lattice documents: IPV4, HTTP1, port
// 80 for HTTP and 443 for HTTPS, and the health check defaults. trellis
// supports IP target groups only.
func NormalizeTargetGroup(t TargetGroupType, c *TargetGroupConfig) error {
	var v Validator
	switch t {
	case TargetGroupIP:
	case TargetGroupLambda, TargetGroupInstance, TargetGroupALB:
		v.Addf("type", "trellis supports only IP target groups, not %s", t)
		return v.Err()
	case "":
		v.Addf("type", "is required")
		return v.Err()
	default:
		v.Addf("type", "must be one of IP, LAMBDA, INSTANCE, ALB, got %q", t)
		return v.Err()
	}
	if c == nil {
		v.Addf("config", "is required for IP target groups")
		return v.Err()
	}
	if c.Protocol == "" {
		v.Addf("config.protocol", "is required")
	} else {
		v.Enum("config.protocol", c.Protocol, ProtocolHTTP, ProtocolHTTPS, ProtocolTCP)
	}
	if c.Port == nil {
		p := 80
		if c.Protocol == ProtocolHTTPS || c.Protocol == ProtocolTCP {
			p = 443
		}
		c.Port = &p
	} else {
		v.IntRange("config.port", *c.Port, 1, 65535)
	}
	switch {
	case c.Protocol == ProtocolTCP && c.ProtocolVersion != "":
		v.Addf("config.protocolVersion", "does not apply to TCP target groups")
	case c.ProtocolVersion == "":
		if c.Protocol != ProtocolTCP {
			c.ProtocolVersion = ProtocolVersionHTTP1
		}
	default:
		v.Enum("config.protocolVersion", c.ProtocolVersion, ProtocolVersionHTTP1, ProtocolVersionHTTP2, ProtocolVersionGRPC)
	}
	if c.IPAddressType == "" {
		c.IPAddressType = IPAddressTypeIPv4
	} else {
		v.Enum("config.ipAddressType", c.IPAddressType, IPAddressTypeIPv4, IPAddressTypeIPv6)
	}
	if v.Required("config.vpcIdentifier", c.VPCIdentifier != "") {
		v.VPCID("config.vpcIdentifier", c.VPCIdentifier)
	}
	if c.LambdaEventStructureVersion != "" {
		v.Addf("config.lambdaEventStructureVersion", "applies only to LAMBDA target groups")
	}
	if c.HealthCheck == nil {
		c.HealthCheck = &HealthCheckConfig{}
	}
	v.Merge(NormalizeHealthCheck("config.healthCheck", c.HealthCheck, c.Protocol))
	return v.Err()
}

// NormalizeHealthCheck checks a health check configuration and fills in
// the defaults: enabled, every 30 seconds, 5 seconds timeout, 5 healthy and
// 2 unhealthy checks, path "/", HTTP1, the target group's protocol (HTTP for
// TCP target groups) and matcher "200".
func NormalizeHealthCheck(field string, h *HealthCheckConfig, tgProtocol string) error {
	var v Validator
	def := func(p **int, d int) {
		if *p == nil {
			x := d
			*p = &x
		}
	}
	if h.Enabled == nil {
		t := true
		h.Enabled = &t
	}
	if h.HealthCheckIntervalSeconds != nil {
		v.IntRange(field+".healthCheckIntervalSeconds", *h.HealthCheckIntervalSeconds, 5, 300)
	}
	if h.HealthCheckTimeoutSeconds != nil {
		v.IntRange(field+".healthCheckTimeoutSeconds", *h.HealthCheckTimeoutSeconds, 1, 120)
	}
	if h.HealthyThresholdCount != nil {
		v.IntRange(field+".healthyThresholdCount", *h.HealthyThresholdCount, 2, 10)
	}
	if h.UnhealthyThresholdCount != nil {
		v.IntRange(field+".unhealthyThresholdCount", *h.UnhealthyThresholdCount, 2, 10)
	}
	def(&h.HealthCheckIntervalSeconds, DefaultHealthCheckIntervalSeconds)
	def(&h.HealthCheckTimeoutSeconds, DefaultHealthCheckTimeoutSeconds)
	def(&h.HealthyThresholdCount, DefaultHealthyThresholdCount)
	def(&h.UnhealthyThresholdCount, DefaultUnhealthyThresholdCount)
	if h.Path == nil {
		p := DefaultHealthCheckPath
		h.Path = &p
	} else if len(*h.Path) > 2048 || !healthPathRe.MatchString(*h.Path) {
		v.Addf(field+".path", "must be empty or a path starting with / of letters, digits and @ : %% _ + . ~ # ? & / = -")
	}
	if h.Port != nil {
		v.IntRange(field+".port", *h.Port, 1, 65535)
	}
	if h.Protocol == "" {
		h.Protocol = ProtocolHTTP
		if tgProtocol == ProtocolHTTPS {
			h.Protocol = ProtocolHTTPS
		}
	} else {
		v.Enum(field+".protocol", h.Protocol, ProtocolHTTP, ProtocolHTTPS)
	}
	if h.ProtocolVersion == "" {
		h.ProtocolVersion = ProtocolVersionHTTP1
	} else {
		v.Enum(field+".protocolVersion", h.ProtocolVersion, ProtocolVersionHTTP1, ProtocolVersionHTTP2)
	}
	if h.Matcher == nil || h.Matcher.HTTPCode == nil {
		c := DefaultHealthCheckMatcher
		h.Matcher = &Matcher{HTTPCode: &c}
	} else if c := *h.Matcher.HTTPCode; len(c) > 2000 || !httpCodeRe.MatchString(c) {
		v.Addf(field+".matcher.httpCode", "must list HTTP codes such as 200 or 200-299,301")
	}
	return v.Err()
}

// ParseTargetIP parses the ID of a target of an IP target group: an IPv4 or
// IPv6 address of the target group's address type. It returns the
// canonical form.
func ParseTargetIP(s, ipAddressType string) (string, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	if ipAddressType == IPAddressTypeIPv6 {
		if !a.Is6() || a.Is4In6() {
			return "", false
		}
	} else if !a.Is4() {
		return "", false
	}
	return a.String(), true
}
