package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// DefaultDNSSuffix returns the suffix VPC Lattice uses for service DNS names
// in a region: "vpc-lattice-svcs.REGION.on.aws".
func DefaultDNSSuffix(region string) string {
	return "vpc-lattice-svcs." + region + ".on.aws"
}

// AccountDNSLabel returns the label that follows the service label in the
// DNS names of an account's services: seven hexadecimal characters derived
// from the account and region, stable across restarts.
func AccountDNSLabel(account, region string) string {
	sum := sha256.Sum256([]byte("trellis/vpc-lattice/" + account + "/" + region))
	return hex.EncodeToString(sum[:])[:7]
}

// ServiceDNSName returns the DNS name trellis gives a service, shaped like
// VPC Lattice's: NAME-ID.HASH.SUFFIX, where ID is the service ID without
// "svc-", HASH is AccountDNSLabel and SUFFIX is suffix, or
// DefaultDNSSuffix(region) when suffix is empty. For example
// "billing-0123456789abcdefg.7d67968.vpc-lattice-svcs.us-west-2.on.aws".
func ServiceDNSName(name, serviceID, account, region, suffix string) string {
	if suffix == "" {
		suffix = DefaultDNSSuffix(region)
	}
	suffix = strings.Trim(suffix, ".")
	return name + "-" + strings.TrimPrefix(serviceID, "svc-") + "." + AccountDNSLabel(account, region) + "." + strings.ToLower(suffix)
}
