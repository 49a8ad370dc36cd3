// Package model holds the Amazon VPC Lattice resources trellis manages and
// the rules they obey: service networks, services, the associations between
// them and with VPCs, listeners and their rules, target groups and their
// targets, auth policies, resource policies, access-log subscriptions and
// tags.
//
// It knows the identifiers VPC Lattice uses (IDs such as
// "svc-0123456789abcdef0", ARNs such as
// "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0"
// and service DNS names), the field constraints of the VPC Lattice API
// Reference (name lengths and characters, port and priority ranges, the
// shapes of rule matches and actions), and the default service quotas.
// Validation failures are *ValidationError values that carry the reason and
// field list of VPC Lattice's ValidationException.
//
// The resource types are plain structs that encode to the JSON the control
// plane stores. A Snapshot is built from such stored bodies (see
// SnapshotBuilder): it indexes every resource by ID, ARN and host name,
// groups children under their parents and compiles auth policies once, and
// is immutable once built, so that the data plane can route on it while the
// control plane builds the next one.
//
// It also holds API Gateway's private REST APIs (APIsConfig, compiled by
// BuildAPIs): stages, the resource tree with path parameters, methods with
// their authorization type, HTTP integrations, and the resource policy,
// with execute-api ARNs.
//
// The package has no I/O and no clock: identifiers are drawn from an
// io.Reader the caller supplies, and times are set by the caller. It imports
// only package policy from trellis.
package model
