package controlplane_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice"
	"github.com/aws/aws-sdk-go-v2/service/vpclattice/types"

	"github.com/trellisproject/trellis/controlplane"
)

// badBodies are request bodies of the wrong shape: every member name the
// API reads, with values of every JSON type, and nested shapes that are
// almost right.
func badBodies() []string {
	bodies := []string{"", "null", "[]", "{}", `"x"`, "1", "{", `{"a":1}{}`, "\x00", `{"name":"\u0000"}`}
	members := []string{"name", "authType", "policy", "tags", "defaultAction", "action", "match", "priority", "port",
		"protocol", "config", "targets", "rules", "healthCheck", "securityGroupIds", "destinationArn", "resourceIdentifier",
		"serviceIdentifier", "serviceNetworkIdentifier", "vpcIdentifier", "clientToken", "type", "certificateArn",
		"customDomainName", "sharingConfig", "dnsOptions", "serviceNetworkLogType"}
	values := []string{"null", "-1", "1e30", `"x"`, "true", "[]", "{}", "[{}]", `[null]`, `{"forward":{}}`,
		`{"forward":{"targetGroups":[{}]}}`, `{"forward":{"targetGroups":null}}`, `{"fixedResponse":{}}`,
		`{"httpMatch":{"headerMatches":[{}],"pathMatch":{}}}`, `{"httpMatch":null}`, `{"port":-5,"protocol":"HTTP"}`,
		`[{"id":null},{"ruleIdentifier":"rule-00000000000000000","action":{"forward":{"targetGroups":[{"targetGroupIdentifier":"tg-00000000000000000"}]}}}]`}
	for _, m := range members {
		for _, v := range values {
			bodies = append(bodies, `{"`+m+`":`+v+`}`)
		}
	}
	return bodies
}

// TestBadInputIsNeverInternal sends every operation malformed path
// parameters and bodies and checks that the API answers each with a
// client error in the VPC Lattice shape, never with an
// InternalServerException.
func TestBadInputIsNeverInternal(t *testing.T) {
	defer caught(t)
	e := newEnv(t)
	c := e.client(adminKey)
	svc := must(c.CreateService(ctx, &vpclattice.CreateServiceInput{Name: aws.String("orders")}))
	sn := must(c.CreateServiceNetwork(ctx, &vpclattice.CreateServiceNetworkInput{Name: aws.String("net")}))
	tg := httpTG(c, "web")
	l := must(c.CreateListener(ctx, &vpclattice.CreateListenerInput{ServiceIdentifier: svc.Id, Name: aws.String("http"),
		Protocol: types.ListenerProtocolHttp, DefaultAction: forward(*tg.Id)}))
	r := must(c.CreateRule(ctx, &vpclattice.CreateRuleInput{ServiceIdentifier: svc.Id, ListenerIdentifier: l.Id,
		Name: aws.String("api"), Priority: aws.Int32(1), Match: pathPrefix("/api"), Action: forward(*tg.Id)}))

	// Path parameters: existing resources (so that bodies are checked), and
	// malformed identifiers.
	real := map[string]string{
		"serviceNetworkIdentifier": *sn.Id, "serviceIdentifier": *svc.Id, "listenerIdentifier": *l.Id,
		"ruleIdentifier": *r.Id, "targetGroupIdentifier": *tg.Id, "resourceIdentifier": *svc.Id, "resourceArn": *svc.Arn,
	}
	wrong := []string{"x", "..", "%00", "svc-", strings.Repeat("a", 3000), *tg.Arn, "arn:aws:vpc-lattice:us-west-2:1:service/svc-x"}
	bodies := badBodies()
	n := 0
	routes := controlplane.OperationRoutes()
	// Deletions last, so that the other operations see live resources.
	sort.SliceStable(routes, func(i, j int) bool { return routes[i][1] != "DELETE" && routes[j][1] == "DELETE" })
	few := []string{"", "{}", "null", `{"name":1}`}
	for _, route := range routes {
		name, method, pattern := route[0], route[1], route[2]
		fill := func(wrongValue string) string {
			segs := strings.Split(pattern, "/")
			for i, s := range segs {
				if strings.HasPrefix(s, "{") {
					p := strings.Trim(s, "{}")
					v, ok := real[p]
					if wrongValue != "" || !ok {
						v = wrongValue
						if v == "" {
							v = "x"
						}
					}
					segs[i] = url.PathEscape(v)
				}
			}
			return strings.Join(segs, "/")
		}
		paths := []string{fill("")}
		if strings.Contains(pattern, "{") {
			for _, w := range wrong {
				paths = append(paths, fill(w))
			}
		}
		queries := []string{"", "?maxResults=abc&nextToken=&serviceNetworkIdentifier=x&resourceIdentifier=%ff&tagKeys=aws:x&vpcIdentifier=vpc-zz"}
		for pi, p := range paths {
			for qi, q := range queries {
				bs := bodies
				if pi > 0 || qi > 0 {
					bs = few
				}
				for _, b := range bs {
					if method == "GET" && b != "" && b != "{}" {
						continue
					}
					status, typ, body := e.raw(adminKey, method, p+q, b)
					n++
					if status >= 500 || typ == "InternalServerException" {
						t.Fatalf("%s %s %s%s with %q: %d %s %s", name, method, p, q, b, status, typ, body)
					}
					if status >= 400 {
						var eb struct{ Message string }
						if err := json.Unmarshal(body, &eb); err != nil || eb.Message == "" || typ == "" {
							t.Fatalf("%s %s %s%s with %q: %d %q %s is not an error in the VPC Lattice shape", name, method, p, q, b, status, typ, body)
						}
					}
				}
			}
		}
	}
	t.Logf("%d requests", n)
}

// FuzzLatticeRequest sends arbitrary bodies to arbitrary operations; the
// API must never answer with a 5xx. Run it with
// go test -fuzz FuzzLatticeRequest ./controlplane.
func FuzzLatticeRequest(f *testing.F) {
	for i, b := range badBodies() {
		if i%7 == 0 {
			f.Add(uint8(i), b, "x")
		}
	}
	f.Add(uint8(0), `{"name":"fuzz-net","tags":{"a":"b"}}`, "sn-00000000000000000")
	e := newEnv(f)
	routes := controlplane.OperationRoutes()
	f.Fuzz(func(t *testing.T, op uint8, body, param string) {
		r := routes[int(op)%len(routes)]
		segs := strings.Split(r[2], "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = url.PathEscape(param)
			}
		}
		if param == "" && strings.Contains(r[2], "{") {
			return
		}
		status, typ, out := e.rawAs(t, adminKey, r[1], strings.Join(segs, "/"), body)
		if status >= 500 {
			t.Fatalf("%s with %q, %q: %d %s %s", r[0], body, param, status, typ, out)
		}
	})
}
