package scan

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/policy"
)

// LatticeListenerPort is the port of the one listener the scanner gives
// every VPC Lattice service.
const LatticeListenerPort = 80

func checkLattice(p *problems, path string, l *Lattice) {
	networks := map[string]bool{}
	for i, sn := range l.ServiceNetworks {
		sp := fmt.Sprintf("%s.serviceNetworks[%d]", path, i)
		checkName(p, sp+".name", "service network", sn.Name, networks)
		checkLatticeAuth(p, sp, sn.Account, sn.AuthType, sn.AuthPolicy)
		for j, v := range sn.VPCs {
			if !strings.HasPrefix(v, "vpc-") {
				p.at(fmt.Sprintf("%s.vpcs[%d]", sp, j), "%q is not a VPC ID such as vpc-0123456789abcdef0", v)
			}
		}
	}
	services := map[string]bool{}
	for i, s := range l.Services {
		sp := fmt.Sprintf("%s.services[%d]", path, i)
		checkName(p, sp+".name", "service", s.Name, services)
		if s.Name != "" && !isLatticeName(s.Name) {
			p.at(sp+".name", "%q is not a service name: 3 to 40 lower-case letters, digits and hyphens, not starting or ending with a hyphen", s.Name)
		}
		checkLatticeAuth(p, sp, s.Account, s.AuthType, s.AuthPolicy)
		for j, n := range s.ServiceNetworks {
			if !networks[n] {
				p.at(fmt.Sprintf("%s.serviceNetworks[%d]", sp, j), "no service network %q in this lattice section", n)
			}
		}
	}
}

func checkLatticeAuth(p *problems, path, account, authType string, doc *PolicyDocument) {
	if !policy.IsAccountID(account) {
		p.at(path+".account", "%q is not a 12-digit account ID", account)
	}
	if !oneOf(authType, "", string(model.AuthNone), string(model.AuthIAM)) {
		p.at(path+".authType", "%q is not an auth type: AWS_IAM or NONE", authType)
	}
	if doc != nil {
		if _, err := model.ParseAuthPolicy(doc.JSON, "auth policy"); err != nil {
			p.at(path+".authPolicy", "%v", err)
		}
	}
}

// isLatticeName reports whether s is a valid VPC Lattice resource name.
func isLatticeName(s string) bool {
	if len(s) < 3 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// buildLattice builds the VPC Lattice snapshot of a lattice section: the
// service networks with their VPC and service associations and auth
// policies, and for every service a listener on LatticeListenerPort
// forwarding to one target group whose one target is target. IDs are
// numbered in declaration order, so that the same section always builds
// the same IDs. hosts maps each service's name to the host name callers
// send: its custom domain name, else its DNS name.
func buildLattice(l *Lattice, region string, target netip.AddrPort) (snap *model.Snapshot, hosts map[string]string, err error) {
	b := model.NewSnapshotBuilder()
	n := 0
	meta := func(t model.ResourceType, account string) model.Meta {
		n++
		id := fmt.Sprintf("%s-%017d", t.Prefix(), n)
		return model.Meta{ID: id, ARN: model.NewARN(region, account, t, id), Account: account}
	}
	hosts = map[string]string{}
	add := func(kind string, v any) {
		if err != nil {
			return
		}
		var body []byte
		if body, err = json.Marshal(v); err == nil {
			err = b.Add(kind, body)
		}
	}
	authType := func(s string) model.AuthType {
		if s == "" {
			return model.AuthNone
		}
		return model.AuthType(s)
	}
	auth := func(m model.Meta, doc *PolicyDocument) {
		if doc != nil {
			add(model.KindAuthPolicy, &model.AuthPolicy{ResourceID: m.ID, ResourceARN: m.ARN, Account: m.Account, Policy: doc.JSON})
		}
	}
	networks := map[string]*model.ServiceNetwork{}
	for _, c := range l.ServiceNetworks {
		sn := &model.ServiceNetwork{Meta: meta(model.TypeServiceNetwork, c.Account), Name: c.Name, AuthType: authType(c.AuthType)}
		networks[c.Name] = sn
		add(model.KindServiceNetwork, sn)
		auth(sn.Meta, c.AuthPolicy)
		for _, v := range c.VPCs {
			add(model.KindServiceNetworkVPCAssociation, &model.ServiceNetworkVPCAssociation{Meta: meta(model.TypeServiceNetworkVPCAssociation, c.Account),
				ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name, VPCID: v})
		}
	}
	port := int(target.Port())
	for _, c := range l.Services {
		m := meta(model.TypeService, c.Account)
		svc := &model.Service{Meta: m, Name: c.Name, AuthType: authType(c.AuthType), CustomDomainName: c.CustomDomainName,
			DNSName: model.ServiceDNSName(c.Name, m.ID, c.Account, region, "")}
		add(model.KindService, svc)
		auth(svc.Meta, c.AuthPolicy)
		hosts[c.Name] = svc.DNSName
		if c.CustomDomainName != "" {
			hosts[c.Name] = c.CustomDomainName
		}
		for _, name := range c.ServiceNetworks {
			sn := networks[name]
			add(model.KindServiceNetworkServiceAssociation, &model.ServiceNetworkServiceAssociation{Meta: meta(model.TypeServiceNetworkServiceAssociation, sn.Account),
				ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name,
				ServiceID: svc.ID, ServiceARN: svc.ARN, ServiceName: svc.Name, DNSName: svc.DNSName})
		}
		tg := &model.TargetGroup{Meta: meta(model.TypeTargetGroup, c.Account), Name: c.Name + "-targets", Type: model.TargetGroupIP,
			Config: model.TargetGroupConfig{Port: &port, Protocol: model.ProtocolHTTP, ProtocolVersion: model.ProtocolVersionHTTP1, IPAddressType: model.IPAddressTypeIPv4}}
		add(model.KindTargetGroup, tg)
		add(model.KindTarget, &model.Target{TargetGroupID: tg.ID, ID: target.Addr().String(), Port: port})
		weight := model.DefaultSingleWeight
		forward := model.RuleAction{Forward: &model.ForwardAction{TargetGroups: []model.WeightedTargetGroup{{TargetGroupIdentifier: tg.ID, Weight: &weight}}}}
		lm := meta(model.TypeListener, c.Account)
		ln := &model.Listener{Meta: model.Meta{ID: lm.ID, ARN: model.ListenerARN(region, c.Account, svc.ID, lm.ID), Account: c.Account},
			ServiceID: svc.ID, ServiceARN: svc.ARN, Name: "http", Protocol: model.ListenerHTTP, Port: LatticeListenerPort, DefaultAction: forward}
		add(model.KindListener, ln)
		add(model.KindRule, &model.Rule{Meta: meta(model.TypeRule, c.Account), ServiceID: svc.ID, ListenerID: ln.ID, IsDefault: true, Action: forward})
	}
	if err != nil {
		return nil, nil, err
	}
	if snap, err = b.Build(); err != nil {
		return nil, nil, err
	}
	if p := snap.Problems(); len(p) > 0 {
		return nil, nil, fmt.Errorf("the lattice section is inconsistent: %s", strings.Join(p, "; "))
	}
	return snap, hosts, nil
}
