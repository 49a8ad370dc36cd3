package controlplane_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/trellisproject/trellis/controlplane"
	"github.com/trellisproject/trellis/store"
)

// allowAll is an Authorizer for the example only: it lets everyone in as
// account 111122223333. Real deployments verify SigV4 signatures and
// evaluate IAM policies.
type allowAll struct{}

func (allowAll) Authenticate(*http.Request) (controlplane.Caller, error) {
	return controlplane.Caller{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/example"}, nil
}

func (allowAll) Authorize(*http.Request, controlplane.Caller, string, string) error { return nil }

// The VPC Lattice API over a SQLite store, answering a CreateServiceNetwork
// request as VPC Lattice does.
func ExampleNewLatticeAPI() {
	dir, _ := os.MkdirTemp("", "trellis-example")
	defer os.RemoveAll(dir)
	st, err := store.OpenSQLite(context.Background(), dir, store.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	api, err := controlplane.NewLatticeAPI(controlplane.LatticeConfig{
		Store: st, Authorizer: allowAll{}, Region: "us-west-2",
		Rand: rand.NewChaCha8([32]byte{}), // crypto/rand when nil
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/servicenetworks", "application/json", strings.NewReader(`{"name":"payments","authType":"AWS_IAM"}`))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode)
	fmt.Println(string(body))

	resp, _ = http.Post(srv.URL+"/servicenetworks", "application/json", strings.NewReader(`{"name":"Payments!"}`))
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	fmt.Println(string(body))
	// Output:
	// 201
	// {"arn":"arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-1riq1iusq3tei3jzr","authType":"AWS_IAM","id":"sn-1riq1iusq3tei3jzr","name":"payments"}
	// 400 ValidationException
	// {"message":"name: may contain only a-z, 0-9 and hyphens (-)","reason":"fieldValidationFailed","fieldList":[{"name":"name","message":"may contain only a-z, 0-9 and hyphens (-)"}]}
}
