package scan

import (
	"net/http"
	"time"

	"github.com/trellisproject/trellis/authz"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
)

// An outcome is what became of one call: allowed, or stopped at a layer,
// with the decision's one-line diagnostic.
type outcome struct {
	allowed     bool
	layer       string
	explanation string
	// modelled marks a live call decided with the network model instead
	// of being sent.
	modelled bool
}

// scanUserAgent is the User-Agent of every request a live run sends; a
// static decision sees the same header.
const scanUserAgent = "trellis-scan/1"

// decideStatic decides a call with the decision code the gateway runs,
// from the same inputs the gateway would have: the caller's address in the
// endpoint's (or its own) VPC, the verified principal of its access key
// (a key the identities do not know fails as a bad signature, as
// verification does), the API, stage, method and path.
func decideStatic(a *authz.Authorizer, st *snapshot.State, c *plannedCall) outcome {
	switch c.kind {
	case kindAPI:
		vpc := c.endpointVPC
		if vpc == "" {
			vpc = c.src.VPC
		}
		call := &authz.PrivateCall{SourceVPC: vpc, SourceAddr: c.src.Addr, Endpoint: c.endpoint,
			APIID: c.apiID, Stage: c.stage, Method: c.method, Path: c.path}
		if c.caller.signs {
			if caller, ok := st.Identity.Caller(c.caller.key); ok {
				call.Caller = caller
			} else {
				call.BadSignature = true
			}
		}
		d := a.DecidePrivate(authz.PrivateConfig{Network: st.Network, APIs: st.APIs}, call)
		return outcome{allowed: d.Allowed, layer: string(d.Layer), explanation: d.String()}
	case kindService:
		return decideLattice(a, st, c)
	case kindEndpointService:
		return networkOutcome(st.Network.Evaluate(network.Flow{SourceVPC: c.src.VPC, SourceAddr: c.src.Addr,
			DestEndpoint: c.endpoint, Protocol: network.TCP, DestPort: c.port}))
	case kindDNSName:
		return networkOutcome(st.Network.Evaluate(network.Flow{SourceVPC: c.src.VPC, SourceAddr: c.src.Addr,
			DestName: c.dnsName, Protocol: network.TCP, DestPort: c.port}))
	}
	return networkOutcome(st.Network.Evaluate(network.Flow{SourceVPC: c.src.VPC, SourceAddr: c.src.Addr,
		DestAddr: c.addr, Protocol: network.TCP, DestPort: c.port}))
}

// decideLattice decides a call to a VPC Lattice service as the gateway's
// ingress for the caller's VPC does: the service the host names among the
// service networks of the VPC, its listener, the signature, then
// authz.Decide.
func decideLattice(a *authz.Authorizer, st *snapshot.State, c *plannedCall) outcome {
	snap := st.Lattice
	svc, sn, va := snap.ServiceForVPC(c.src.VPC, c.host)
	if svc == nil {
		return outcome{layer: string(authz.LayerNotFound), explanation: "not-found: no service named " + c.host + " is reachable from " + c.src.VPC}
	}
	l, ok := snap.ListenerOnPort(svc.ID, LatticeListenerPort)
	if !ok {
		if ls := snap.Listeners(svc.ID); len(ls) == 1 {
			l, ok = ls[0], true
		}
	}
	if !ok {
		return outcome{layer: string(authz.LayerNotFound), explanation: "not-found: service " + svc.ID + " has no listener"}
	}
	req := authz.Request{Service: svc, ServiceNetwork: sn, Method: c.method, Path: c.rawPath, Port: l.Port,
		Header: http.Header{"User-Agent": {scanUserAgent}}, SourceIP: c.src.Addr, SourceVPC: c.src.VPC, SourceVPCOwner: c.vpcOwner}
	if req.SourceVPCOwner == "" {
		req.SourceVPCOwner = va.Account
	}
	if c.caller.signs {
		caller, ok := st.Identity.Caller(c.caller.key)
		if !ok {
			return outcome{layer: string(authz.LayerSignature), explanation: "signature: the access key " + c.caller.key + " is not known"}
		}
		req.Caller = caller
	}
	d := a.Decide(snap, &req)
	return outcome{allowed: d.Allowed, layer: string(d.Layer), explanation: d.String()}
}

// networkOutcome is the outcome of a connection decided by the network
// model alone.
func networkOutcome(v network.Verdict) outcome {
	if v.Reachable {
		return outcome{allowed: true, layer: string(authz.LayerAllowed), explanation: "allowed: " + v.Explanation()}
	}
	return outcome{layer: string(v.Layer), explanation: verdictText(v)}
}

// verdictText describes a blocked flow as PrivateDecision.String does:
// the layer, the explanation code and the blocking component, and why.
func verdictText(v network.Verdict) string {
	return string(v.Layer) + ": " + string(v.Code) + " at " + v.Component + ": " + v.Explanation()
}

// newAuthorizer returns the authorizer of a run.
func newAuthorizer() *authz.Authorizer { return authz.New(time.Now) }
