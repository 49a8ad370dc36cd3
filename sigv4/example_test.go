package sigv4_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trellisproject/trellis/sigv4"
)

// A fixed clock, so that the examples' output does not change.
var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// The credentials of the examples (AWS's documentation example key).
var store = sigv4.StaticCredentials{
	"AKIAIOSFODNN7EXAMPLE": {SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
}

// Verify a request signed the way VPC Lattice clients sign: SigV4 in the
// Authorization header, with x-amz-content-sha256: UNSIGNED-PAYLOAD.
func ExampleVerifier_Verify() {
	v, err := sigv4.NewVerifier(sigv4.Config{Region: "us-west-2", Credentials: store, Clock: clock})
	if err != nil {
		panic(err)
	}

	// What a client does (here with this package's Signer).
	r, _ := http.NewRequest("GET", "https://orders-0123456789abcdef0.7d67968.vpc-lattice-svcs.us-west-2.on.aws/orders/42", nil)
	r.Header.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
	signer := sigv4.NewSigner("AKIAIOSFODNN7EXAMPLE", store["AKIAIOSFODNN7EXAMPLE"], clock)
	if _, err := signer.Sign(r, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2"}); err != nil {
		panic(err)
	}

	// What the gateway does with the request it received.
	res, err := v.Verify(r, "vpc-lattice-svcs")
	if err != nil {
		panic(err)
	}
	fmt.Println(res.AccessKeyID, res.Algorithm, res.Region, res.Service)
	fmt.Println("signed headers:", res.SignedHeaders)
	fmt.Println("payload signed:", res.PayloadSigned)
	// Output:
	// AKIAIOSFODNN7EXAMPLE AWS4-HMAC-SHA256 us-west-2 vpc-lattice-svcs
	// signed headers: host;x-amz-content-sha256;x-amz-date
	// payload signed: false
}

// A failed verification returns an *Error with AWS's code and status. The
// canonical request the verifier expected is available for debugging, but is
// not part of the error text.
func ExampleError() {
	v, _ := sigv4.NewVerifier(sigv4.Config{Region: "us-west-2", Credentials: store, Clock: clock})
	r, _ := http.NewRequest("GET", "https://example.on.aws/orders/42", nil)
	signer := sigv4.NewSigner("AKIAIOSFODNN7EXAMPLE", store["AKIAIOSFODNN7EXAMPLE"], clock)
	if _, err := signer.Sign(r, sigv4.SignOptions{Service: "vpc-lattice-svcs", Region: "us-west-2"}); err != nil {
		panic(err)
	}
	r.URL.Path = "/orders/43" // changed after signing

	_, err := v.Verify(r, "vpc-lattice-svcs")
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
		fmt.Println(strings.Split(e.CanonicalRequest(), "\n")[1])
	}

	// Unsigned requests are told apart by their code.
	r2, _ := http.NewRequest("GET", "https://example.on.aws/", nil)
	_, err = v.Verify(r2, "vpc-lattice-svcs")
	fmt.Println(err)
	// Output:
	// 403 InvalidSignatureException
	// /orders/43
	// MissingAuthenticationToken: Request is missing Authentication Token.
}

// Sign a request in the Authorization-header form. (The signature is the one
// aws-sdk-go-v2 computes for the same request.)
func ExampleSigner_Sign() {
	signer := sigv4.NewSigner("AKIAIOSFODNN7EXAMPLE", store["AKIAIOSFODNN7EXAMPLE"], clock)
	r, _ := http.NewRequest("GET", "https://example.execute-api.us-east-1.amazonaws.com/prod/pets?type=dog", nil)
	signed, err := signer.Sign(r, sigv4.SignOptions{Service: "execute-api", Region: "us-east-1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Header.Get("X-Amz-Date"))
	fmt.Println(r.Header.Get("Authorization"))
	fmt.Println(strings.Split(signed.StringToSign, "\n")[2])
	// Output:
	// 20250601T120000Z
	// AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=91fea76eb9c43630b62feb5b90d66f0349baf68276dc0e33efa189f611971703
	// 20250601/us-east-1/execute-api/aws4_request
}

// Presign a request: the signature travels in the query string.
func ExampleSigner_Presign() {
	signer := sigv4.NewSigner("AKIAIOSFODNN7EXAMPLE", store["AKIAIOSFODNN7EXAMPLE"], clock)
	r, _ := http.NewRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	signed, err := signer.Presign(r, sigv4.SignOptions{Service: "sts", Region: "us-east-1", Expires: 60 * time.Second})
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.ReplaceAll(signed.URL, "&", "\n&"))
	// Output:
	// https://sts.amazonaws.com/?Action=GetCallerIdentity
	// &Version=2011-06-15
	// &X-Amz-Algorithm=AWS4-HMAC-SHA256
	// &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250601%2Fus-east-1%2Fsts%2Faws4_request
	// &X-Amz-Date=20250601T120000Z
	// &X-Amz-Expires=60
	// &X-Amz-SignedHeaders=host
	// &X-Amz-Signature=108813c8ccb6a34a95e261f09652a4c8af321d3bb313818183b41ae116975acc
}

// Sign with SigV4A for a set of regions; the gateway of any region in the
// set accepts it.
func ExampleSigner_Sign_sigv4a() {
	signer := sigv4.NewSigner("AKIAIOSFODNN7EXAMPLE", store["AKIAIOSFODNN7EXAMPLE"], clock)
	r, _ := http.NewRequest("GET", "https://orders.example.on.aws/orders", nil)
	_, err := signer.Sign(r, sigv4.SignOptions{
		Service:   "vpc-lattice-svcs",
		Algorithm: sigv4.AlgorithmV4A,
		RegionSet: []string{"us-*", "eu-west-1"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Header.Get("X-Amz-Region-Set"))
	fmt.Println(strings.SplitN(r.Header.Get("Authorization"), ", Signature=", 2)[0])

	for _, region := range []string{"us-east-2", "ap-south-1"} {
		v, _ := sigv4.NewVerifier(sigv4.Config{Region: region, Credentials: store, Clock: clock})
		_, err := v.Verify(r, "vpc-lattice-svcs")
		fmt.Println(region, err == nil)
	}
	// Output:
	// us-*,eu-west-1
	// AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250601/vpc-lattice-svcs/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set
	// us-east-2 true
	// ap-south-1 false
}

// Per-service options: here a verifier that accepts S3-style (single
// encoding) signatures for a custom service name, with S3's error names.
func ExampleConfig_services() {
	v, _ := sigv4.NewVerifier(sigv4.Config{
		Region:      "us-east-1",
		Credentials: store,
		Clock:       clock,
		Services: map[string]sigv4.ServiceOptions{
			"storage": {PathEncoding: sigv4.PathEncodeOnce, PathNormalization: sigv4.PathNormalizeNever, Naming: sigv4.NamingS3},
		},
	})
	fmt.Printf("%+v\n", v.ServiceOptions("storage"))
	fmt.Printf("%+v\n", v.ServiceOptions("vpc-lattice-svcs"))
	// Output:
	// {PathEncoding:PathEncodeOnce PathNormalization:PathNormalizeNever Naming:NamingS3 UnsignedPresignedPayload:false}
	// {PathEncoding:PathEncodeTwice PathNormalization:PathNormalizeEither Naming:NamingJSON UnsignedPresignedPayload:false}
}

// The SigV4A key pair of an access key is derived from its secret.
func ExampleDeriveV4AKey() {
	priv, err := sigv4.DeriveV4AKey("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
	if err != nil {
		panic(err)
	}
	pub, _ := priv.PublicKey.Bytes()
	fmt.Println("X:", hex.EncodeToString(pub[1:33]))
	fmt.Println("Y:", hex.EncodeToString(pub[33:]))
	// Output:
	// X: b6618f6a65740a99e650b33b6b4b5bd0d43b176d721a3edfea7e7d2d56d936b1
	// Y: 865ed22a7eadc9c5cb9d2cbaca1b3699139fedc5043dc6661864218330c8e518
}
