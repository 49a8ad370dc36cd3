// Package scan proves a zero-trust setup: it runs a scenario, a matrix of
// calls from workloads to APIs and services with the outcome each call
// should have, against a configuration and its hardening stages, and
// reports for every call whether it got through and, if not, the layer
// that stopped it (the layer names of DESIGN.md).
//
// A scenario runs in one of two modes. Static decides every call with the
// decision code the gateway uses (authz.DecidePrivate, authz.Decide,
// network.Network.Evaluate) and sends nothing. Live starts the gateway in
// this process with each stage's configuration and the scenario's
// backends, gives every caller its own loopback source address, sends real
// requests (signed with SigV4, or unsigned) and reads the outcome from what
// the gateway did: the answer, its access log and its refused connections.
// The two must agree.
//
// Load or Parse a scenario, Run it, and write the Report as a table, JSON,
// JUnit XML or a Mermaid diagram. docs/scan.md describes the format.
package scan

import "time"

// A Scenario is a scenario file, decoded and checked: every stage's
// configuration has been built and every call resolved against it.
type Scenario struct {
	// Name names the scenario in reports; the file name when empty.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Region is the region of the APIs and services called and of the
	// signatures; "us-east-1" when empty.
	Region string `yaml:"region"`
	// Config is the configuration every stage starts from.
	Config Config `yaml:"config"`
	// Sessions are role sessions the callers sign with, as if STS had
	// issued them (a native document cannot declare sessions).
	Sessions []Session `yaml:"sessions"`
	// Backends serve the integrations of private APIs in live runs.
	Backends []Backend `yaml:"backends"`
	Callers  []Caller  `yaml:"callers"`
	Targets  []Target  `yaml:"targets"`
	// Calls are made at every stage; a stage may add more.
	Calls []Call `yaml:"calls"`
	// Stages are applied in order, each to the configuration the previous
	// one left. A scenario without stages has one, named "default".
	Stages []Stage `yaml:"stages"`

	file string
	// secrets are the run's made-up secrets, by access key ID.
	secrets map[string]secret
	// issued is when the sessions were issued.
	issued time.Time
	stages []*stageWorld
}

// Config is a configuration, or a change to one: native configuration
// documents (the files "trellis apply" takes), then sections written
// inline, each replacing the section of the same name whole, as applying
// them in order would.
type Config struct {
	// Files are native documents, relative to the scenario file.
	Files    []string `yaml:"files"`
	Identity Section  `yaml:"identity"`
	Network  Section  `yaml:"network"`
	APIs     Section  `yaml:"apis"`
	// Lattice holds VPC Lattice service networks and services.
	Lattice *Lattice `yaml:"lattice"`
}

// A Session is a role session a caller signs with. Its secret and token
// are made up for each run: a scenario holds no secrets.
type Session struct {
	// AccessKeyID is "ASIA" and 16 characters of [A-Z2-7].
	AccessKeyID string `yaml:"accessKeyId"`
	// Role is the ARN of a role of the identity section.
	Role        string `yaml:"role"`
	SessionName string `yaml:"sessionName"`
}

// A Backend serves the integrations of private APIs whose URI starts with
// URL, in live runs. Integrations that no backend claims are served by an
// echo backend: a live run never sends traffic to an address taken from
// the configuration.
type Backend struct {
	// URL is a scheme and host, such as "http://127.0.0.1:8081".
	URL string `yaml:"url"`
	// Serve is what answers: "order-history" (the zero-trust lab's
	// ServiceB) or "echo" (the method, path and identity it received).
	Serve string `yaml:"serve"`
}

// A Caller is a workload that makes calls.
type Caller struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Interface is the workload's network interface in the network
	// section: it places the caller in its VPC, subnet and security
	// groups.
	Interface string `yaml:"interface"`
	// Credentials is the access key ID the caller signs with: a session of
	// the scenario or an access key of the identity section. Empty for a
	// caller with none.
	Credentials string `yaml:"credentials"`
	// Signs says whether the caller signs its requests (SigV4); the
	// default is true when it has credentials.
	Signs *bool `yaml:"signs"`
}

// A Target is what a call is for: exactly one of API (a private REST API
// through an interface endpoint), Service (a VPC Lattice service),
// EndpointService (a PrivateLink endpoint service through an interface
// endpoint), DNSName (a name resolved in the caller's VPC, such as an
// endpoint service's private DNS name) or Internet (an address outside the
// VPCs).
type Target struct {
	Name string `yaml:"name"`
	// API is the ID or the name of a private REST API, and Stage its
	// stage.
	API   string `yaml:"api"`
	Stage string `yaml:"stage"`
	// Service is the name of a VPC Lattice service of the scenario, or a
	// host name (a custom domain name or a service's DNS name).
	Service string `yaml:"service"`
	// EndpointService is the ID of an endpoint service (vpce-svc-...).
	EndpointService string `yaml:"endpointService"`
	// DNSName is a DNS name the caller dials, resolved in its VPC as
	// network.Network.ResolveName does: to the VPC's interface endpoint
	// with private DNS for that name, if there is one.
	DNSName string `yaml:"dnsName"`
	// Internet is an IPv4 address outside the VPCs.
	Internet string `yaml:"internet"`
	// Method and Path are the request's, for APIs and services: GET and
	// "/" by default; Path is the path after the stage for an API.
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	// Port is the TCP port for DNS names and internet addresses, 443 by
	// default; for an endpoint service, its listener port (the default,
	// and the only port the gateway takes connections to it on).
	Port int `yaml:"port"`
}

// A Call is one caller calling one target by one route, with the outcome
// it should have.
type Call struct {
	Caller string `yaml:"caller"`
	Target string `yaml:"target"`
	// Route is the interface endpoint (vpce-...) for APIs and endpoint
	// services; for VPC Lattice services the caller's VPC (vpc-...),
	// which is also the default. Calls to DNS names go where the name
	// resolves, and internet calls take the route table's route: they
	// have none.
	Route string `yaml:"route"`
	// Desired is "allow" or "block".
	Desired string `yaml:"desired"`
}

// A Stage is a change to the configuration (a hardening step), and to
// what callers do, from this stage on.
type Stage struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Config is laid over the previous stage's configuration.
	Config Config `yaml:"config"`
	// Callers change callers from this stage on.
	Callers []CallerChange `yaml:"callers"`
	// Calls are made from this stage on, besides the earlier ones.
	Calls []Call `yaml:"calls"`
}

// A CallerChange changes what a caller does from a stage on; fields left
// out stay as they were.
type CallerChange struct {
	Name        string  `yaml:"name"`
	Interface   *string `yaml:"interface"`
	Credentials *string `yaml:"credentials"`
	Signs       *bool   `yaml:"signs"`
}

// Lattice declares VPC Lattice service networks and services. Each
// service gets one HTTP listener on port 80 that forwards every request to
// a target: a backend of the live run, which answers with what it
// received.
type Lattice struct {
	ServiceNetworks []ServiceNetwork `yaml:"serviceNetworks"`
	Services        []LatticeService `yaml:"services"`
}

// A ServiceNetwork is a VPC Lattice service network and the VPCs
// associated with it.
type ServiceNetwork struct {
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
	// AuthType is "AWS_IAM" or "NONE" (the default).
	AuthType   string          `yaml:"authType"`
	AuthPolicy *PolicyDocument `yaml:"authPolicy"`
	VPCs       []string        `yaml:"vpcs"`
}

// A LatticeService is a VPC Lattice service and the service networks it is
// associated with.
type LatticeService struct {
	Name    string `yaml:"name"`
	Account string `yaml:"account"`
	// AuthType is "AWS_IAM" or "NONE" (the default).
	AuthType         string          `yaml:"authType"`
	AuthPolicy       *PolicyDocument `yaml:"authPolicy"`
	CustomDomainName string          `yaml:"customDomainName"`
	ServiceNetworks  []string        `yaml:"serviceNetworks"`
}
