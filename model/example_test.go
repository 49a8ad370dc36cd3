package model_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"

	"github.com/trellisproject/trellis/model"
)

// IDs are drawn from the reader given: crypto/rand.Reader in production, a
// seeded generator in tests.
func ExampleNewID() {
	r := rand.NewChaCha8([32]byte{})
	id, _ := model.NewID(r, model.TypeService)
	fmt.Println(len(id), id[:4], model.IsID(model.TypeService, id))
	// Output: 21 svc- true
}

func ExampleParseResourceARN() {
	a, err := model.ParseResourceARN("arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdefg/listener/listener-0123456789abcdefg")
	fmt.Println(a.Type, a.ServiceID, a.ID, err)
	// Output: LISTENER svc-0123456789abcdefg listener-0123456789abcdefg <nil>
}

// Validation errors carry the reason and field list of VPC Lattice's
// ValidationException.
func ExampleRuleAction_Validate() {
	var a model.RuleAction
	json.Unmarshal([]byte(`{"forward":{"targetGroups":[
		{"targetGroupIdentifier":"tg-0123456789abcdefg","weight":1000},
		{"targetGroupIdentifier":"tg-0123456789abcdefh"}]}}`), &a)
	err := a.Validate("action").(*model.ValidationError)
	fmt.Println(err.Reason)
	for _, f := range err.Fields {
		fmt.Printf("%s: %s\n", f.Name, f.Message)
	}
	// Output:
	// fieldValidationFailed
	// action.forward.targetGroups[0].weight: must be between 0 and 999, got 1000
	// action.forward.targetGroups[1].weight: is required when a forward action names more than one target group
}

func ExampleRuleMatch_Matches() {
	var m model.RuleMatch
	json.Unmarshal([]byte(`{"httpMatch":{"method":"GET","pathMatch":{"match":{"prefix":"/orders"}},
		"headerMatches":[{"name":"x-tenant","match":{"exact":"blue"}}]}}`), &m)
	h := http.Header{"X-Tenant": {"Blue"}}
	fmt.Println(m.Matches("GET", "/orders/42", h), m.Matches("GET", "/Orders/42", h), m.Matches("POST", "/orders/42", h))
	// Output: true false false
}

// A snapshot is built from stored record bodies and answers the gateway's
// questions: which service a host name reaches, and what decides its
// requests.
func ExampleSnapshotBuilder() {
	svc := model.Service{
		Meta:     model.Meta{ID: "svc-0123456789abcdefg", ARN: "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdefg", Account: "111122223333"},
		Name:     "orders",
		AuthType: model.AuthIAM,
		DNSName:  "orders-0123456789abcdefg.7d67968.vpc-lattice-svcs.us-west-2.on.aws",
	}
	body, _ := json.Marshal(svc)
	b := model.NewSnapshotBuilder()
	b.Add(model.KindService, body)
	s, _ := b.Build()

	found := s.ServicesByHost("orders-0123456789abcdefg.7d67968.vpc-lattice-svcs.us-west-2.on.aws")
	authType, p := s.Auth(found[0].ID)
	fmt.Println(found[0].Name, authType, p == nil)
	// Output: orders AWS_IAM true
}

func ExampleParseLogDestination() {
	d, _ := model.ParseLogDestination("arn:aws:logs:us-west-2:111122223333:log-group:/lattice/orders")
	fmt.Println(d.Service, d.Path)
	// Output: logs cloudwatch/lattice/orders.log
}

func ExampleDefaultQuotas() {
	q := model.DefaultQuotas()
	fmt.Println(q.ListenersPerService.Value, q.ListenersPerService.Code, q.RulesPerListener.Value)
	// Output: 2 L-D64E952E 10
}
