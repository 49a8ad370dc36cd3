package model

import (
	"encoding/json"
	"strings"
	"testing"
)

func testAPIs(t *testing.T) *RestAPI {
	t.Helper()
	get := func(m, auth, uri string) MethodConfig {
		return MethodConfig{HTTPMethod: m, AuthorizationType: auth, Integration: IntegrationConfig{Type: "HTTP_PROXY", URI: uri}}
	}
	c := APIsConfig{RestAPIs: []RestAPIConfig{{
		ID: "a1b2c3d4e5", Name: "ServiceBAPI", Account: "111122223333", Region: "us-east-1",
		EndpointType: "PRIVATE", VPCEndpointIDs: []string{"vpce-aaaa0001"},
		Policy: json.RawMessage(`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`),
		Stages: []StageConfig{{Name: "api"}},
		Resources: []ResourceConfig{
			{Path: "/", Methods: []MethodConfig{get("GET", "NONE", "http://127.0.0.1:1/")}},
			{Path: "/orders", Methods: []MethodConfig{get("GET", "AWS_IAM", "http://127.0.0.1:1/orders"), get("ANY", "NONE", "http://127.0.0.1:1/any")}},
			{Path: "/orders/{id}", Methods: []MethodConfig{get("GET", "AWS_IAM", "http://127.0.0.1:1/orders/{id}")}},
			{Path: "/orders/latest", Methods: []MethodConfig{get("GET", "NONE", "http://127.0.0.1:1/latest")}},
			{Path: "/files/{proxy+}", Methods: []MethodConfig{get("ANY", "NONE", "http://127.0.0.1:1/f/{proxy}")}},
		},
	}}}
	apis, err := BuildAPIs(c)
	if err != nil {
		t.Fatal(err)
	}
	api, ok := apis.API("a1b2c3d4e5")
	if !ok {
		t.Fatal("API not found")
	}
	return api
}

func TestRestAPIMatch(t *testing.T) {
	api := testAPIs(t)
	tests := []struct {
		method, path string
		resource     string // "" for no match
		httpMethod   string
		backend      string
	}{
		{"GET", "/", "/", "GET", "http://127.0.0.1:1/?q=1"},
		{"GET", "/orders", "/orders", "GET", "http://127.0.0.1:1/orders?q=1"},
		{"GET", "/orders/", "/orders", "GET", "http://127.0.0.1:1/orders?q=1"},
		{"POST", "/orders", "/orders", "ANY", "http://127.0.0.1:1/any?q=1"},
		{"GET", "/orders/42", "/orders/{id}", "GET", "http://127.0.0.1:1/orders/42?q=1"},
		{"GET", "/orders/a%20b", "/orders/{id}", "GET", "http://127.0.0.1:1/orders/a%20b?q=1"},
		{"GET", "/orders/latest", "/orders/latest", "GET", "http://127.0.0.1:1/latest?q=1"},
		{"DELETE", "/orders/42", "", "", ""},
		{"GET", "/orders/42/items", "", "", ""},
		{"GET", "/files", "", "", ""},
		{"PUT", "/files/a/b/c", "/files/{proxy+}", "ANY", "http://127.0.0.1:1/f/a/b/c?q=1"},
		{"GET", "/nothing", "", "", ""},
		{"GET", "//orders", "", "", ""},
	}
	for _, tt := range tests {
		m, params := api.Match(tt.method, tt.path)
		if tt.resource == "" {
			if m != nil {
				t.Errorf("%s %s matched %s %s, want no match", tt.method, tt.path, m.HTTPMethod, m.Resource)
			}
			continue
		}
		if m == nil || m.Resource != tt.resource || m.HTTPMethod != tt.httpMethod {
			t.Errorf("%s %s matched %+v, want %s %s", tt.method, tt.path, m, tt.httpMethod, tt.resource)
			continue
		}
		u, err := m.Integration.BackendURL(params, "q=1")
		if err != nil || u.String() != tt.backend {
			t.Errorf("%s %s: backend %v (%v), want %s", tt.method, tt.path, u, err, tt.backend)
		}
	}
	if got, want := api.InvokeARN("api", "GET", "/orders"), "arn:aws:execute-api:us-east-1:111122223333:a1b2c3d4e5/api/GET/orders"; got != want {
		t.Errorf("InvokeARN = %s, want %s", got, want)
	}
}

func TestBuildAPIsErrors(t *testing.T) {
	ok := func() RestAPIConfig {
		return RestAPIConfig{ID: "a1b2c3d4e5", Name: "n", Account: "111122223333", Region: "us-east-1", EndpointType: "PRIVATE",
			Stages: []StageConfig{{Name: "api"}},
			Resources: []ResourceConfig{{Path: "/orders", Methods: []MethodConfig{{HTTPMethod: "GET", AuthorizationType: "NONE",
				Integration: IntegrationConfig{Type: "HTTP_PROXY", URI: "http://127.0.0.1:1/"}}}}}}
	}
	tests := []struct {
		name   string
		change func(*RestAPIConfig)
		want   []string
	}{
		{"valid", func(*RestAPIConfig) {}, nil},
		{"id", func(c *RestAPIConfig) { c.ID = "A1" }, []string{`restApis[0].id: "A1" is not an API ID`}},
		{"account and region", func(c *RestAPIConfig) { c.Account, c.Region = "1", "moon" },
			[]string{"restApis[0].account:", "restApis[0].region:"}},
		{"type", func(c *RestAPIConfig) { c.EndpointType = "REGIONAL" }, []string{"restApis[0].endpointType:"}},
		{"endpoint", func(c *RestAPIConfig) { c.VPCEndpointIDs = []string{"vpce-1", "vpce-aaaa0001", "vpce-aaaa0001"} },
			[]string{"restApis[0].vpcEndpointIds[0]:", "restApis[0].vpcEndpointIds[2]: vpce-aaaa0001 is listed twice"}},
		{"policy", func(c *RestAPIConfig) {
			c.Policy = json.RawMessage(`{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke"}]}`)
		},
			[]string{"restApis[0].policy.Statement[0]: a resource-based policy statement needs a Principal", "restApis[0].policy.Statement[0]: the statement has no Resource"}},
		{"stages", func(c *RestAPIConfig) { c.Stages = []StageConfig{{Name: "a b"}, {Name: "x"}, {Name: "x"}} },
			[]string{"restApis[0].stages[0].name:", "restApis[0].stages[2].name: stage x is declared twice"}},
		{"paths", func(c *RestAPIConfig) {
			c.Resources = append(c.Resources,
				ResourceConfig{Path: "orders"}, ResourceConfig{Path: "/a/{id"}, ResourceConfig{Path: "/a/{p+}/b"},
				ResourceConfig{Path: "/orders/{id}"}, ResourceConfig{Path: "/orders/{other}"}, ResourceConfig{Path: "/orders"},
				ResourceConfig{Path: "/a b"})
		}, []string{"resources[1].path:", "resources[2].path:", "resources[3].path:", "resources[5].path:", "resources[6].path: resource /orders is declared twice", "resources[7].path:"}},
		{"methods", func(c *RestAPIConfig) {
			c.Resources[0].Methods = append(c.Resources[0].Methods,
				MethodConfig{HTTPMethod: "GET", AuthorizationType: "NONE", Integration: IntegrationConfig{Type: "HTTP", URI: "http://x/"}},
				MethodConfig{HTTPMethod: "FETCH", AuthorizationType: "COGNITO", Integration: IntegrationConfig{Type: "MOCK", URI: "ftp://x"}})
		}, []string{"methods[1].httpMethod: GET /orders is declared twice", "methods[2].httpMethod:", "methods[2].authorizationType:", "methods[2].integration.type:", "methods[2].integration.uri:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok()
			tt.change(&c)
			_, err := BuildAPIs(APIsConfig{RestAPIs: []RestAPIConfig{c}})
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("BuildAPIs: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("BuildAPIs succeeded")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Errorf("%d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%v", w, err)
				}
			}
		})
	}
}
