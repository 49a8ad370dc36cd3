// Package controlplane serves trellis's AWS-compatible APIs, so that the AWS
// SDKs and the AWS CLI work against trellis unchanged.
//
// The STS endpoint (STSHandler, files sts*.go) speaks AWS STS's query
// protocol: GetCallerIdentity and AssumeRole, every request verified with
// SigV4 against the current identity.Directory, answers and errors in
// STS's XML shapes. See docs/sts.md.
package controlplane
