package sigv4

import "strings"

// Error codes returned in [Error.Code]. They are the codes AWS services use for
// the same failures, so that AWS SDKs and the AWS CLI classify them correctly.
// Which of the alternative names is used for a given service depends on its
// [ErrorNaming]; see [ServiceOptions].
const (
	// CodeMissingAuthenticationToken: the request carries neither an
	// AWS Signature Version 4 Authorization header nor a presigned query
	// string. Callers that allow anonymous access treat this code as
	// "unsigned" rather than as a failure.
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"

	// CodeIncompleteSignature: the Authorization header or the presigned
	// query string is malformed (a missing Credential, SignedHeaders or
	// Signature, a badly formed credential scope, an unsigned host header,
	// an unsupported algorithm, and so on). The message says exactly what
	// is wrong.
	CodeIncompleteSignature = "IncompleteSignature"

	// CodeInvalidSignature: the signature does not match (the name used by
	// JSON and REST-JSON services such as VPC Lattice and API Gateway).
	CodeInvalidSignature = "InvalidSignatureException"

	// CodeSignatureDoesNotMatch: the signature does not match (the name used
	// by query-protocol services such as STS, and by Amazon S3).
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"

	// CodeInvalidClientTokenID: the access key id is unknown, or the
	// session token presented with a temporary access key is missing or
	// wrong.
	CodeInvalidClientTokenID = "InvalidClientTokenId"

	// CodeExpiredToken: the credential (typically a temporary session
	// credential) has expired.
	CodeExpiredToken = "ExpiredToken"

	// CodeRequestExpired: the signing time is too far from the verifier's
	// clock, or a presigned request is used after it expired.
	CodeRequestExpired = "RequestExpired"

	// CodeRequestTimeTooSkewed: the S3 name for a signing time too far from
	// the verifier's clock.
	CodeRequestTimeTooSkewed = "RequestTimeTooSkewed"

	// CodeContentSHA256Mismatch: the body does not hash to the value of the
	// x-amz-content-sha256 header the client signed.
	CodeContentSHA256Mismatch = "XAmzContentSHA256Mismatch"

	// CodeRequestEntityTooLarge: the payload is signed but the body is
	// larger than the verifier is configured to buffer in order to check it
	// (see Config.MaxBodyBytes). Signing with UNSIGNED-PAYLOAD avoids this.
	CodeRequestEntityTooLarge = "RequestEntityTooLarge"

	// CodeNotImplemented: the request uses a feature this package does not
	// implement, such as the STREAMING-* (aws-chunked) payload encodings.
	CodeNotImplemented = "NotImplemented"
)

// Error is the error returned by [Verifier.Verify] and by the signing
// functions. Code and Status follow AWS's conventions, Message says what is
// wrong in terms a client developer can act on. Neither the secret access key
// nor the signing key nor the session token ever appears in an Error.
type Error struct {
	// Code is one of the Code* constants.
	Code string
	// Message is a human-readable explanation.
	Message string
	// Status is the HTTP status code AWS returns for this failure.
	Status int

	canonicalRequest string
	stringToSign     string
}

// Error returns "Code: Message". It never includes the canonical request or
// the string to sign; use [Error.CanonicalRequest] and [Error.StringToSign]
// for those.
func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}

// CanonicalRequest returns, for a signature mismatch, the canonical request
// the verifier computed (the one it expected the client to sign), with the
// session token, if any, replaced by "REDACTED". It is empty for other
// failures. It is meant for debugging output that the operator chooses to
// show, such as the CanonicalRequest element of an S3-style error.
func (e *Error) CanonicalRequest() string { return e.canonicalRequest }

// StringToSign returns, for a signature mismatch, the string to sign the
// verifier computed (over the real, unredacted canonical request). It is empty
// for other failures.
func (e *Error) StringToSign() string { return e.stringToSign }

// ErrorNaming selects the error codes and HTTP statuses used for a service,
// because AWS services name the same failure differently.
//
//	failure               NamingJSON                     NamingQuery                 NamingS3
//	malformed signature   IncompleteSignature 403        IncompleteSignature 400     IncompleteSignature 400
//	wrong signature       InvalidSignatureException 403  SignatureDoesNotMatch 403   SignatureDoesNotMatch 403
//	clock skew            RequestExpired 403             RequestExpired 400          RequestTimeTooSkewed 403
//	presigned URL expired RequestExpired 403             RequestExpired 400          RequestExpired 403
//
// All namings use MissingAuthenticationToken 403, InvalidClientTokenId 403,
// ExpiredToken 403, XAmzContentSHA256Mismatch 400, RequestEntityTooLarge 413
// and NotImplemented 501.
type ErrorNaming uint8

const (
	// NamingDefault selects the naming of the service (see
	// [DefaultServiceOptions]).
	NamingDefault ErrorNaming = iota
	// NamingJSON is used by JSON and REST-JSON services: VPC Lattice
	// (vpc-lattice-svcs and the vpc-lattice control plane) and API Gateway
	// (execute-api).
	NamingJSON
	// NamingQuery is used by query-protocol services such as STS and IAM,
	// with the statuses of AWS's "Common Errors" reference.
	NamingQuery
	// NamingS3 is used by Amazon S3.
	NamingS3
)

// String returns the name of the constant.
func (n ErrorNaming) String() string {
	switch n {
	case NamingDefault:
		return "NamingDefault"
	case NamingJSON:
		return "NamingJSON"
	case NamingQuery:
		return "NamingQuery"
	case NamingS3:
		return "NamingS3"
	}
	return "ErrorNaming(" + itoa(int64(n)) + ")"
}

// failure kinds, mapped to a code and status by the naming.
type failure uint8

const (
	failMissing failure = iota
	failIncomplete
	failMismatch
	failUnknownKey
	failExpiredToken
	failSkew
	failPresignExpired
	failContentMismatch
	failTooLarge
	failNotImplemented
)

func (n ErrorNaming) errorf(kind failure, msg ...string) *Error {
	e := &Error{Message: strings.Join(msg, "")}
	switch kind {
	case failMissing:
		e.Code, e.Status = CodeMissingAuthenticationToken, 403
	case failIncomplete:
		e.Code, e.Status = CodeIncompleteSignature, 400
		if n == NamingJSON {
			e.Status = 403
		}
	case failMismatch:
		e.Code, e.Status = CodeInvalidSignature, 403
		if n == NamingQuery || n == NamingS3 {
			e.Code = CodeSignatureDoesNotMatch
		}
	case failUnknownKey:
		e.Code, e.Status = CodeInvalidClientTokenID, 403
	case failExpiredToken:
		e.Code, e.Status = CodeExpiredToken, 403
	case failSkew:
		e.Code, e.Status = CodeRequestExpired, 403
		switch n {
		case NamingQuery:
			e.Status = 400
		case NamingS3:
			e.Code = CodeRequestTimeTooSkewed
		}
	case failPresignExpired:
		e.Code, e.Status = CodeRequestExpired, 403
		if n == NamingQuery {
			e.Status = 400
		}
	case failContentMismatch:
		e.Code, e.Status = CodeContentSHA256Mismatch, 400
	case failTooLarge:
		e.Code, e.Status = CodeRequestEntityTooLarge, 413
	case failNotImplemented:
		e.Code, e.Status = CodeNotImplemented, 501
	}
	return e
}

// itoa formats n in decimal without fmt.
func itoa(n int64) string {
	var b [24]byte
	return string(appendInt(b[:0], n))
}

func appendInt(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		if n == -n { // math.MinInt64
			return append(b, "9223372036854775808"...)
		}
		n = -n
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
