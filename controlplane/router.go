package controlplane

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/trellisproject/trellis/model"
)

// An operation is one API operation: where it is served, what it answers
// on success and how.
type operation struct {
	// Name is the operation's name in the API Reference, such as
	// "CreateService".
	Name   string
	Method string
	// Path is the request URI pattern of the API Reference, with {name}
	// for path parameters.
	Path string
	// Status is the HTTP status of a successful response.
	Status int
	handle func(*call) (any, error)

	segs []string
}

// route finds the operation of a request. Path parameters are split on
// the path as received (identifiers may be ARNs, whose "/" the SDKs send
// as %2F) and then unescaped.
func route(r *http.Request) (*operation, map[string]string, error) {
	path := strings.Trim(r.URL.EscapedPath(), "/")
	segs := strings.Split(path, "/")
	pathMatched := false
	for i := range operations {
		op := &operations[i]
		params, ok := match(op.segs, segs)
		if !ok {
			continue
		}
		pathMatched = true
		if op.Method != r.Method {
			continue
		}
		return op, params, nil
	}
	if pathMatched {
		return nil, nil, errValidation(model.ReasonUnknownOperation, "%s is not an operation of %s", r.Method, r.URL.EscapedPath())
	}
	return nil, nil, errValidation(model.ReasonUnknownOperation, "no VPC Lattice operation is served at %s %s", r.Method, r.URL.EscapedPath())
}

func match(pattern, segs []string) (map[string]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params map[string]string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return nil, false
			}
			if params == nil {
				params = make(map[string]string, 3)
			}
			params[p[1:len(p)-1]] = v
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

var operations []operation

func init() {
	ok, created, noContent := http.StatusOK, http.StatusCreated, http.StatusNoContent
	operations = []operation{
		// Service networks.
		{Name: "CreateServiceNetwork", Method: "POST", Path: "/servicenetworks", Status: created, handle: createServiceNetwork},
		{Name: "ListServiceNetworks", Method: "GET", Path: "/servicenetworks", Status: ok, handle: listServiceNetworks},
		{Name: "GetServiceNetwork", Method: "GET", Path: "/servicenetworks/{serviceNetworkIdentifier}", Status: ok, handle: getServiceNetwork},
		{Name: "UpdateServiceNetwork", Method: "PATCH", Path: "/servicenetworks/{serviceNetworkIdentifier}", Status: ok, handle: updateServiceNetwork},
		{Name: "DeleteServiceNetwork", Method: "DELETE", Path: "/servicenetworks/{serviceNetworkIdentifier}", Status: noContent, handle: deleteServiceNetwork},
		// Services.
		{Name: "CreateService", Method: "POST", Path: "/services", Status: created, handle: createService},
		{Name: "ListServices", Method: "GET", Path: "/services", Status: ok, handle: listServices},
		{Name: "GetService", Method: "GET", Path: "/services/{serviceIdentifier}", Status: ok, handle: getService},
		{Name: "UpdateService", Method: "PATCH", Path: "/services/{serviceIdentifier}", Status: ok, handle: updateService},
		{Name: "DeleteService", Method: "DELETE", Path: "/services/{serviceIdentifier}", Status: ok, handle: deleteService},
		// Service network service associations.
		{Name: "CreateServiceNetworkServiceAssociation", Method: "POST", Path: "/servicenetworkserviceassociations", Status: ok, handle: createSNSA},
		{Name: "ListServiceNetworkServiceAssociations", Method: "GET", Path: "/servicenetworkserviceassociations", Status: ok, handle: listSNSAs},
		{Name: "GetServiceNetworkServiceAssociation", Method: "GET", Path: "/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}", Status: ok, handle: getSNSA},
		{Name: "DeleteServiceNetworkServiceAssociation", Method: "DELETE", Path: "/servicenetworkserviceassociations/{serviceNetworkServiceAssociationIdentifier}", Status: ok, handle: deleteSNSA},
		// Service network VPC associations.
		{Name: "CreateServiceNetworkVpcAssociation", Method: "POST", Path: "/servicenetworkvpcassociations", Status: ok, handle: createSNVA},
		{Name: "ListServiceNetworkVpcAssociations", Method: "GET", Path: "/servicenetworkvpcassociations", Status: ok, handle: listSNVAs},
		{Name: "GetServiceNetworkVpcAssociation", Method: "GET", Path: "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}", Status: ok, handle: getSNVA},
		{Name: "UpdateServiceNetworkVpcAssociation", Method: "PATCH", Path: "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}", Status: ok, handle: updateSNVA},
		{Name: "DeleteServiceNetworkVpcAssociation", Method: "DELETE", Path: "/servicenetworkvpcassociations/{serviceNetworkVpcAssociationIdentifier}", Status: ok, handle: deleteSNVA},
		// Listeners.
		{Name: "CreateListener", Method: "POST", Path: "/services/{serviceIdentifier}/listeners", Status: created, handle: createListener},
		{Name: "ListListeners", Method: "GET", Path: "/services/{serviceIdentifier}/listeners", Status: ok, handle: listListeners},
		{Name: "GetListener", Method: "GET", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}", Status: ok, handle: getListener},
		{Name: "UpdateListener", Method: "PATCH", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}", Status: ok, handle: updateListener},
		{Name: "DeleteListener", Method: "DELETE", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}", Status: noContent, handle: deleteListener},
		// Rules.
		{Name: "CreateRule", Method: "POST", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules", Status: created, handle: createRule},
		{Name: "ListRules", Method: "GET", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules", Status: ok, handle: listRules},
		{Name: "BatchUpdateRule", Method: "PATCH", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules", Status: ok, handle: batchUpdateRule},
		{Name: "GetRule", Method: "GET", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}", Status: ok, handle: getRule},
		{Name: "UpdateRule", Method: "PATCH", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}", Status: ok, handle: updateRule},
		{Name: "DeleteRule", Method: "DELETE", Path: "/services/{serviceIdentifier}/listeners/{listenerIdentifier}/rules/{ruleIdentifier}", Status: noContent, handle: deleteRule},
		// Target groups and targets.
		{Name: "CreateTargetGroup", Method: "POST", Path: "/targetgroups", Status: created, handle: createTargetGroup},
		{Name: "ListTargetGroups", Method: "GET", Path: "/targetgroups", Status: ok, handle: listTargetGroups},
		{Name: "GetTargetGroup", Method: "GET", Path: "/targetgroups/{targetGroupIdentifier}", Status: ok, handle: getTargetGroup},
		{Name: "UpdateTargetGroup", Method: "PATCH", Path: "/targetgroups/{targetGroupIdentifier}", Status: ok, handle: updateTargetGroup},
		{Name: "DeleteTargetGroup", Method: "DELETE", Path: "/targetgroups/{targetGroupIdentifier}", Status: ok, handle: deleteTargetGroup},
		{Name: "RegisterTargets", Method: "POST", Path: "/targetgroups/{targetGroupIdentifier}/registertargets", Status: ok, handle: registerTargets},
		{Name: "DeregisterTargets", Method: "POST", Path: "/targetgroups/{targetGroupIdentifier}/deregistertargets", Status: ok, handle: deregisterTargets},
		{Name: "ListTargets", Method: "POST", Path: "/targetgroups/{targetGroupIdentifier}/listtargets", Status: ok, handle: listTargets},
		// Auth policies and resource policies.
		{Name: "PutAuthPolicy", Method: "PUT", Path: "/authpolicy/{resourceIdentifier}", Status: ok, handle: putAuthPolicy},
		{Name: "GetAuthPolicy", Method: "GET", Path: "/authpolicy/{resourceIdentifier}", Status: ok, handle: getAuthPolicy},
		{Name: "DeleteAuthPolicy", Method: "DELETE", Path: "/authpolicy/{resourceIdentifier}", Status: noContent, handle: deleteAuthPolicy},
		{Name: "PutResourcePolicy", Method: "PUT", Path: "/resourcepolicy/{resourceArn}", Status: ok, handle: putResourcePolicy},
		{Name: "GetResourcePolicy", Method: "GET", Path: "/resourcepolicy/{resourceArn}", Status: ok, handle: getResourcePolicy},
		{Name: "DeleteResourcePolicy", Method: "DELETE", Path: "/resourcepolicy/{resourceArn}", Status: noContent, handle: deleteResourcePolicy},
		// Access log subscriptions.
		{Name: "CreateAccessLogSubscription", Method: "POST", Path: "/accesslogsubscriptions", Status: created, handle: createAccessLogSubscription},
		{Name: "ListAccessLogSubscriptions", Method: "GET", Path: "/accesslogsubscriptions", Status: ok, handle: listAccessLogSubscriptions},
		{Name: "GetAccessLogSubscription", Method: "GET", Path: "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}", Status: ok, handle: getAccessLogSubscription},
		{Name: "UpdateAccessLogSubscription", Method: "PATCH", Path: "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}", Status: ok, handle: updateAccessLogSubscription},
		{Name: "DeleteAccessLogSubscription", Method: "DELETE", Path: "/accesslogsubscriptions/{accessLogSubscriptionIdentifier}", Status: noContent, handle: deleteAccessLogSubscription},
		// Tags.
		{Name: "TagResource", Method: "POST", Path: "/tags/{resourceArn}", Status: ok, handle: tagResource},
		{Name: "UntagResource", Method: "DELETE", Path: "/tags/{resourceArn}", Status: ok, handle: untagResource},
		{Name: "ListTagsForResource", Method: "GET", Path: "/tags/{resourceArn}", Status: ok, handle: listTagsForResource},
	}
	// Operations of VPC Lattice that trellis does not implement: resource
	// configurations, resource gateways, service network resource and
	// endpoint associations, and domain verification.
	for _, u := range []struct{ name, method, path string }{
		{"CreateResourceConfiguration", "POST", "/resourceconfigurations"},
		{"ListResourceConfigurations", "GET", "/resourceconfigurations"},
		{"GetResourceConfiguration", "GET", "/resourceconfigurations/{id}"},
		{"UpdateResourceConfiguration", "PATCH", "/resourceconfigurations/{id}"},
		{"DeleteResourceConfiguration", "DELETE", "/resourceconfigurations/{id}"},
		{"CreateResourceGateway", "POST", "/resourcegateways"},
		{"ListResourceGateways", "GET", "/resourcegateways"},
		{"GetResourceGateway", "GET", "/resourcegateways/{id}"},
		{"UpdateResourceGateway", "PATCH", "/resourcegateways/{id}"},
		{"DeleteResourceGateway", "DELETE", "/resourcegateways/{id}"},
		{"CreateServiceNetworkResourceAssociation", "POST", "/servicenetworkresourceassociations"},
		{"ListServiceNetworkResourceAssociations", "GET", "/servicenetworkresourceassociations"},
		{"GetServiceNetworkResourceAssociation", "GET", "/servicenetworkresourceassociations/{id}"},
		{"DeleteServiceNetworkResourceAssociation", "DELETE", "/servicenetworkresourceassociations/{id}"},
		{"ListResourceEndpointAssociations", "GET", "/resourceendpointassociations"},
		{"DeleteResourceEndpointAssociation", "DELETE", "/resourceendpointassociations/{id}"},
		{"ListServiceNetworkVpcEndpointAssociations", "GET", "/servicenetworkvpcendpointassociations"},
		{"StartDomainVerification", "POST", "/domainverifications"},
		{"ListDomainVerifications", "GET", "/domainverifications"},
		{"GetDomainVerification", "GET", "/domainverifications/{id}"},
		{"DeleteDomainVerification", "DELETE", "/domainverifications/{id}"},
	} {
		name := u.name
		operations = append(operations, operation{Name: name, Method: u.method, Path: u.path, handle: func(c *call) (any, error) {
			return nil, errValidation(model.ReasonUnknownOperation,
				"trellis does not implement %s: resource configurations, resource gateways, their associations and domain verification are not supported (see docs/lattice-api.md)", name)
		}})
	}
	for i := range operations {
		operations[i].segs = strings.Split(strings.Trim(operations[i].Path, "/"), "/")
	}
}
