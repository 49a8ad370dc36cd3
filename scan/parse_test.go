package scan_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/examples"
	"github.com/trellisproject/trellis/scan"
)

// labFiles reads the zero-trust lab's documents by their file names.
func labFiles(name string) ([]byte, error) {
	return examples.ZeroTrustLab.ReadFile("zero-trust-lab/" + name)
}

// validScenario is a small valid scenario over the lab's stage 1; each bad
// input below changes one thing in it.
const validScenario = `name: small
config: {files: [stage1.yaml]}
sessions:
  - {accessKeyId: ASIAAAAAAAAAAAAAAAA2, role: "arn:aws:iam::111122223333:role/ServiceAInstanceRole", sessionName: i-1}
callers:
  - name: a
    interface: eni-aaaa0001
    credentials: ASIAAAAAAAAAAAAAAAA2
targets:
  - {name: b, api: ServiceBAPI, stage: api}
calls:
  - {caller: a, target: b, route: vpce-aaaa0001, desired: allow}
`

func TestParseValid(t *testing.T) {
	sc, err := scan.Parse([]byte(validScenario), "small.yaml", labFiles)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "small" || strings.Join(sc.StageNames(), ",") != scan.DefaultStage {
		t.Errorf("name %q, stages %v", sc.Name, sc.StageNames())
	}
}

// TestParseErrors checks that every kind of mistake is reported with the
// file, the line and the path of the key, and says what to do.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		// old is replaced by new in validScenario; with old empty, new is
		// the whole input.
		old, new string
		want     string
	}{
		{"empty", "", "", "s.yaml: the scenario is empty"},
		{"not YAML", "", "callers: [a", "s.yaml: not valid YAML: line 1"},
		{"not a mapping", "", "- a\n- b\n", "s.yaml:1: expected a mapping of keys to values, found a list"},
		{"unknown key", "name: small", "name: small\ncaler: x", `s.yaml:2: caler: unknown key "caler"; the keys here are: name, description, region, config`},
		{"unknown nested key", "    interface: eni-aaaa0001", "    interface: eni-aaaa0001\n    sign: true", `s.yaml:8: callers[0].sign: unknown key "sign"`},
		{"key twice", "name: small", "name: small\nname: again", `s.yaml:2: name: "name" is given twice`},
		{"string for a bool", "    interface: eni-aaaa0001", "    interface: eni-aaaa0001\n    signs: maybe", `s.yaml:8: callers[0].signs: expected true or false, found "maybe"`},
		{"list for a string", "name: small", "name: [small]", "s.yaml:1: name: expected a string, found a list"},
		{"bad desired", "desired: allow", "desired: permit", `s.yaml:12: calls[0].desired: "permit": the desired outcome is allow or block`},
		{"unknown caller", "{caller: a,", "{caller: z,", `s.yaml:12: calls[0].caller: no caller "z"`},
		{"unknown target", "target: b,", "target: c,", `calls[0].target: no target "c"`},
		{"two callers of one name", "targets:", "  - {name: a, interface: eni-aaaa0002}\ntargets:", `s.yaml:9: callers[1].name: two callers are named "a"`},
		{"two kinds of target", "stage: api}", "stage: api, service: orders}", "targets[0]: a target is exactly one of api (with stage), service, endpointService, dnsName or internet"},
		{"api without stage", ", stage: api}", "}", `targets[0].stage: an api target needs the stage it calls`},
		{"port on an api", "stage: api}", "stage: api, port: 8443}", "targets[0].port: api and service targets are called on the endpoint's or listener's port"},
		{"bad method", "stage: api}", "stage: api, method: get}", `targets[0].method: "get" is not an HTTP method`},
		{"bad path", "stage: api}", "stage: api, path: orders}", `targets[0].path: "orders" is not a path such as /orders/42`},
		{"bad DNS name", "{name: b, api: ServiceBAPI, stage: api}", "{name: b, dnsName: orders..example}", `targets[0].dnsName: "orders..example" is not a DNS name such as orders.provider.example`},
		{"method on a DNS name", "{name: b, api: ServiceBAPI, stage: api}", "{name: b, dnsName: orders.provider.example, method: GET}", "targets[0]: method and path are for api and service targets: dnsName targets are TCP connections"},
		{"route to a DNS name", "{name: b, api: ServiceBAPI, stage: api}", "{name: b, dnsName: orders.provider.example}", "calls[0].route: a call to a DNS name goes where the name resolves in the caller's VPC: leave route out"},
		{"route not an endpoint", "route: vpce-aaaa0001", "route: vpc-aaaa0001", `calls[0].route: a call to b goes through an interface endpoint`},
		{"signs without credentials", "    credentials: ASIAAAAAAAAAAAAAAAA2", "    signs: true", "callers[0].signs: a caller without credentials cannot sign"},
		{"bad access key", "    credentials: ASIAAAAAAAAAAAAAAAA2", "    credentials: secret", `callers[0].credentials: "secret" is not an access key ID`},
		{"unknown access key", "    credentials: ASIAAAAAAAAAAAAAAAA2", "    credentials: ASIAZZZZZZZZZZZZZZZZ", "caller a signs with ASIAZZZZZZZZZZZZZZZZ, which is neither a session of the scenario nor an access key"},
		{"bad session", "sessionName: i-1}", "sessionName: x}", `sessions[0].sessionName: "x" is not a role session name`},
		{"missing file", "stage1.yaml", "stage9.yaml", "s.yaml:2: config.files[0]: open zero-trust-lab/stage9.yaml: file does not exist"},
		{"interface not in the network", "    interface: eni-aaaa0001", "    interface: eni-ffff0001", "stage default: call of a to b: caller a's interface eni-ffff0001 is not in the network section"},
		{"endpoint of another VPC", "route: vpce-aaaa0001", "route: vpce-bbbb0001", "endpoint vpce-bbbb0001 is in vpc-bbbb0001 and the caller in vpc-aaaa0001"},
		{"unknown API name", "api: ServiceBAPI", "api: ServiceC", `target b: no API is named "ServiceC" in the apis section`},
		{"bad inline section", "config: {files: [stage1.yaml]}", "config:\n  files: [stage1.yaml]\n  network: {vpcs: [{id: vpc-1}]}", "stage default: network.vpcs[0]"},
		{"section not a mapping", "config: {files: [stage1.yaml]}", "config: {files: [stage1.yaml], apis: [1]}", "config.apis: expected a section of the native configuration document (a mapping), found a list"},
		{"stage changes an unknown caller", "calls:", "stages:\n  - {name: one, callers: [{name: z, signs: true}]}\ncalls:", `stages[0].callers[0].name: no caller "z"`},
		{"numeric stage name", "calls:", "stages:\n  - {name: \"2\"}\ncalls:", `stages[0].name: "2": a stage name cannot be a number`},
		{"lattice network unknown", "config: {files: [stage1.yaml]}", "config:\n  files: [stage1.yaml]\n  lattice: {services: [{name: orders, account: \"111122223333\", serviceNetworks: [shop]}]}",
			`config.lattice.services[0].serviceNetworks[0]: no service network "shop"`},
		{"no calls", "calls:\n  - {caller: a, target: b, route: vpce-aaaa0001, desired: allow}\n", "", "calls: the scenario makes no calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.new
			if tt.old != "" {
				if !strings.Contains(validScenario, tt.old) {
					t.Fatalf("%q is not in the valid scenario", tt.old)
				}
				in = strings.Replace(validScenario, tt.old, tt.new, 1)
			}
			_, err := scan.Parse([]byte(in), "s.yaml", labFiles)
			if err == nil {
				t.Fatalf("no error for\n%s", in)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", err, tt.want)
			}
			var se *scan.Error
			if !errors.As(err, &se) || se.File != "s.yaml" {
				t.Errorf("not a *scan.Error of s.yaml: %#v", err)
			}
		})
	}
}
