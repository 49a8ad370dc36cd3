package policy

import "strings"

// globalKeyInfo describes a global condition key AWS documents.
type globalKeyInfo struct {
	multi bool // multivalued: use with ForAnyValue / ForAllValues
}

// globalKeys lists the aws: condition keys from the IAM User Guide's global
// condition context keys reference, lowercased. Keys ending in "/" take a
// suffix (a tag key).
var globalKeys = map[string]globalKeyInfo{
	"aws:calledvia":                    {multi: true},
	"aws:calledviafirst":               {},
	"aws:calledvialast":                {},
	"aws:currenttime":                  {},
	"aws:ec2instancesourceprivateipv4": {},
	"aws:ec2instancesourcevpc":         {},
	"aws:epochtime":                    {},
	"aws:federatedprovider":            {},
	"aws:isanonymous":                  {},
	"aws:multifactorauthage":           {},
	"aws:multifactorauthpresent":       {},
	"aws:principalaccount":             {},
	"aws:principalarn":                 {},
	"aws:principalisawsservice":        {},
	"aws:principalorgid":               {},
	"aws:principalorgpaths":            {multi: true},
	"aws:principalservicename":         {},
	"aws:principalservicenameslist":    {multi: true},
	"aws:principaltag/":                {},
	"aws:principaltype":                {},
	"aws:referer":                      {},
	"aws:requestedregion":              {},
	"aws:requesttag/":                  {},
	"aws:resourceaccount":              {},
	"aws:resourceorgid":                {},
	"aws:resourceorgpaths":             {multi: true},
	"aws:resourcetag/":                 {},
	"aws:securetransport":              {},
	"aws:sourceaccount":                {},
	"aws:sourcearn":                    {},
	"aws:sourceidentity":               {},
	"aws:sourceip":                     {},
	"aws:sourceorgid":                  {},
	"aws:sourceorgpaths":               {multi: true},
	"aws:sourcevpc":                    {},
	"aws:sourcevpcarn":                 {},
	"aws:sourcevpce":                   {},
	"aws:tagkeys":                      {multi: true},
	"aws:tokenissuetime":               {},
	"aws:useragent":                    {},
	"aws:userid":                       {},
	"aws:username":                     {},
	"aws:viaawsservice":                {},
	"aws:vpcsourceip":                  {},
	"aws:vpceaccount":                  {},
	"aws:vpceorgid":                    {},
	"aws:vpceorgpaths":                 {multi: true},
}

func lookupGlobalKey(lower string) (globalKeyInfo, bool) {
	if info, ok := globalKeys[lower]; ok {
		return info, true
	}
	if i := strings.IndexByte(lower, '/'); i > 0 && i < len(lower)-1 {
		info, ok := globalKeys[lower[:i+1]]
		return info, ok
	}
	return globalKeyInfo{}, false
}

// latticeKeys are the condition keys of the vpc-lattice-svcs service as the
// VPC Lattice guide writes them; they are case-sensitive. Keys ending in "/"
// take a suffix (a header name or query string key).
var latticeKeys = []string{
	"vpc-lattice-svcs:Port",
	"vpc-lattice-svcs:RequestMethod",
	"vpc-lattice-svcs:RequestHeader/",
	"vpc-lattice-svcs:RequestQueryString/",
	"vpc-lattice-svcs:ServiceNetworkArn",
	"vpc-lattice-svcs:ServiceArn",
	"vpc-lattice-svcs:SourceVpc",
	"vpc-lattice-svcs:SourceVpcOwnerAccount",
}
