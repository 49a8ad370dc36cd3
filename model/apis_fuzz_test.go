package model

import (
	"regexp"
	"testing"
)

var paramSegment = regexp.MustCompile(`\{[^/]*\}`)

// FuzzRestAPIMatch builds an API with one resource of any path and checks
// that building never panics and that a built resource is matched by its
// own path with every parameter filled in, and by nothing that panics.
func FuzzRestAPIMatch(f *testing.F) {
	for _, s := range [][2]string{{"/orders/{id}", "/orders/42"}, {"/files/{proxy+}", "/files/a/b"}, {"/", "/"}, {"/a/{b", "//"}, {"/x", "/x/%zz"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, request string) {
		c := APIsConfig{RestAPIs: []RestAPIConfig{{ID: "a1b2c3d4e5", Name: "n", Account: "111122223333", Region: "us-east-1", EndpointType: "PRIVATE",
			Stages: []StageConfig{{Name: "s"}},
			Resources: []ResourceConfig{{Path: path, Methods: []MethodConfig{{HTTPMethod: "GET", AuthorizationType: "NONE",
				Integration: IntegrationConfig{Type: "HTTP_PROXY", URI: "http://127.0.0.1:1/{id}"}}}}}}}}
		apis, err := BuildAPIs(c)
		if err != nil {
			return
		}
		api, _ := apis.API("a1b2c3d4e5")
		if m, params := api.Match("GET", request); m != nil {
			if _, err := m.Integration.BackendURL(params, ""); err != nil {
				t.Logf("backend URL of %q: %v", request, err)
			}
		}
		filled := paramSegment.ReplaceAllString(path, "v")
		if m, _ := api.Match("GET", filled); m == nil {
			t.Errorf("resource %q is not matched by %q", path, filled)
		}
	})
}
