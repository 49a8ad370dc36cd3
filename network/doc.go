// Package network models the AWS network a request crosses before any
// policy sees it: VPCs, subnets, route tables, network ACLs, security
// groups, network interfaces, interface endpoints and endpoint services,
// and peering connections between VPCs.
//
// A Config declares them (it is the `network` section of the native
// configuration); Build validates it, reporting every problem with its
// JSON path, and compiles it into an immutable Network: references become
// pointers, rules are parsed and sorted, endpoint policies are compiled
// with the policy package (an endpoint without one gets AWS's default
// full-access policy).
//
// Network.Evaluate decides whether a Flow (source interface or address,
// destination endpoint, interface or address, protocol and ports) can
// connect, in the order AWS applies the controls: source security groups,
// route table (longest prefix match), network ACLs out of the source
// subnet and into the destination subnet, destination security groups,
// the endpoint service connection, and the return traffic through the
// stateless network ACLs. A Verdict names the layer, the blocking
// component and a Reachability Analyzer explanation code, and explains
// itself in a sentence; Evaluate does not allocate.
//
// The package models addresses and never sends traffic. It has no I/O and
// reads no clock: flow log records take their times from the caller.
package network
