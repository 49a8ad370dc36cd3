// Package sigv4 signs and verifies HTTP requests with AWS Signature Version 4
// (AWS4-HMAC-SHA256) and 4A (AWS4-ECDSA-P256-SHA256), in both the
// Authorization-header and the presigned-query-string forms.
//
// It is what a server needs to accept requests from AWS SDKs, the AWS CLI and
// curl --aws-sigv4 the way VPC Lattice, API Gateway or STS would: a
// [Verifier] checks the signature of a received *http.Request against
// credentials it looks up through a [CredentialStore], and returns a [Result]
// saying who signed it, or an [*Error] with the code and HTTP status AWS
// would return. A [Signer] produces such requests.
//
// # Verifying
//
//	v, err := sigv4.NewVerifier(sigv4.Config{Region: "us-west-2", Credentials: store})
//	...
//	res, err := v.Verify(r, "vpc-lattice-svcs")
//	var e *sigv4.Error
//	switch {
//	case errors.As(err, &e) && e.Code == sigv4.CodeMissingAuthenticationToken:
//		// unsigned: the anonymous principal
//	case err != nil:
//		// refuse with e.Status and e.Code
//	default:
//		// res.AccessKeyID signed the request
//	}
//
// The verifier reads the path as received on the wire (r.RequestURI), checks
// the signing time against an injected clock (5 minutes either way by
// default), checks presigned requests against X-Amz-Expires, requires the
// session token of temporary credentials, refuses expired credentials, and
// checks a signed payload against the body, which it buffers up to a bound
// and hands back readable. How the path is canonicalised and how errors are
// named depend on the service ([ServiceOptions], [DefaultServiceOptions]).
//
// A typical VPC Lattice GET verifies without allocating: derived signing
// keys (and SigV4A public keys) are kept in a small bounded cache, filled only
// for access keys the store knows.
//
// # Signing
//
//	s := sigv4.NewSigner(accessKeyID, sigv4.Credential{SecretAccessKey: secret, SessionToken: token}, nil)
//	_, err := s.Sign(r, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2",
//		PayloadHash: sigv4.UnsignedPayload, AddContentSHA256Header: true})
//
// # Secrets
//
// Secret access keys, signing keys and session tokens never appear in
// errors, in String or GoString output, or in the debug output of a failed
// verification (where the token is replaced by REDACTED).
//
// The package depends on the standard library only, reads no clock it was
// not given and keeps no global state.
package sigv4
