// Package policy implements the AWS IAM policy language: it parses and
// validates policy documents (with positions and JSON paths in every
// diagnostic), compiles them once, and evaluates requests against them
// without allocating, as AWS's policy evaluation logic documents.
//
// The pieces:
//
//   - Parse and Validate read a policy document. Options choose the rules
//     (identity-based, resource-based, service control policy) and size
//     limits.
//   - A Policy is compiled and immutable; Policy.Evaluate decides one
//     request against it alone.
//   - A Set holds every policy that applies to a request, by type, and
//     combines them: explicit deny wins; organization policies, endpoint
//     policies, permissions boundaries and session policies must allow;
//     identity and resource policies combine by AWS's same-account and
//     cross-account rules.
//   - A Request carries the Principal, action, resource and the Context of
//     condition keys.
//   - Every decision comes with what made it (a Result names the policy
//     type, policy and statement); Set.Explain gives the full account of
//     every statement and which element or condition stopped it.
//
// Semantics follow the IAM User Guide: actions and the partition, service,
// region and account of ARNs compare without case, the resource part of an
// ARN with case; condition key names compare without case except the
// vpc-lattice-svcs keys, which the VPC Lattice guide documents as
// case-sensitive; missing keys fail positive operators and satisfy negated
// ones, IfExists and ForAllValues; a multivalued key needs a set operator;
// policy variables are substituted only in Version 2012-10-17 policies, and
// a variable without a value makes its string match nothing.
//
// The package imports nothing from the rest of trellis.
package policy
