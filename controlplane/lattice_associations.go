package controlplane

import (
	"encoding/json"
	"errors"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type snsaOut struct {
	Arn                string    `json:"arn,omitempty"`
	CreatedAt          *awsTime  `json:"createdAt,omitempty"`
	CreatedBy          string    `json:"createdBy,omitempty"`
	CustomDomainName   string    `json:"customDomainName,omitempty"`
	DNSEntry           *dnsEntry `json:"dnsEntry,omitempty"`
	ID                 string    `json:"id,omitempty"`
	ServiceArn         string    `json:"serviceArn,omitempty"`
	ServiceID          string    `json:"serviceId,omitempty"`
	ServiceName        string    `json:"serviceName,omitempty"`
	ServiceNetworkArn  string    `json:"serviceNetworkArn,omitempty"`
	ServiceNetworkID   string    `json:"serviceNetworkId,omitempty"`
	ServiceNetworkName string    `json:"serviceNetworkName,omitempty"`
	Status             string    `json:"status,omitempty"`
}

func snsaFull(a *model.ServiceNetworkServiceAssociation) snsaOut {
	return snsaOut{Arn: a.ARN, CreatedAt: tsp(a.CreatedAt), CreatedBy: a.CreatedBy, CustomDomainName: a.CustomDomainName,
		DNSEntry: dnsOf(a.DNSName), ID: a.ID, ServiceArn: a.ServiceARN, ServiceID: a.ServiceID, ServiceName: a.ServiceName,
		ServiceNetworkArn: a.ServiceNetworkARN, ServiceNetworkID: a.ServiceNetworkID, ServiceNetworkName: a.ServiceNetworkName,
		Status: statusActive}
}

func createSNSA(c *call) (any, error) {
	var in struct {
		ServiceIdentifier        string            `json:"serviceIdentifier"`
		ServiceNetworkIdentifier string            `json:"serviceNetworkIdentifier"`
		ClientToken              string            `json:"clientToken"`
		Tags                     map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	snID, err := parseIdent("serviceNetworkIdentifier", model.TypeServiceNetwork, in.ServiceNetworkIdentifier)
	if err != nil {
		return nil, err
	}
	svcID, err := parseIdent("serviceIdentifier", model.TypeService, in.ServiceIdentifier)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("CreateServiceNetworkServiceAssociation", c.arn(snID), c.arn(svcID)); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, c.pattern(model.TypeServiceNetworkServiceAssociation)); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash := requestHash(c.op.Name, nil, struct {
		SN, Svc string
		Tags    map[string]string
	}{snID.id, svcID.id, in.Tags})
	var out any
	err = c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		sn, _, err := load[model.ServiceNetwork](c, tx, snID)
		if err != nil {
			return err
		}
		svc, _, err := load[model.Service](c, tx, svcID)
		if err != nil {
			return err
		}
		n, err := tx.Count(model.KindServiceNetworkServiceAssociation, sn.ID)
		if err != nil {
			return err
		}
		if q := c.api.quotas.ServiceAssociationsPerServiceNetwork; q.Exceeded(n) {
			return errQuota(q, sn.ID)
		}
		id, err := c.api.newID(model.TypeServiceNetworkServiceAssociation)
		if err != nil {
			return err
		}
		a := model.ServiceNetworkServiceAssociation{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeServiceNetworkServiceAssociation, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name,
			ServiceID: svc.ID, ServiceARN: svc.ARN, ServiceName: svc.Name,
			CustomDomainName: svc.CustomDomainName, DNSName: svc.DNSName, CreatedBy: c.caller.Account,
		}
		_, err = tx.Create(store.Record{Kind: model.KindServiceNetworkServiceAssociation, ID: id, Parent: sn.ID, Name: svc.ID, Body: mustJSON(a)})
		if errors.Is(err, store.ErrNameTaken) {
			return errConflict(model.TypeServiceNetworkServiceAssociation, svc.ID,
				"service %s is already associated with service network %s", svc.ID, sn.ID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Create(store.Record{Kind: kindSNSAByService, ID: id, Parent: svc.ID, Body: mustJSON(sn.ID)}); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, a.ARN, in.Tags); err != nil {
			return err
		}
		resp := snsaOut{Arn: a.ARN, CreatedBy: a.CreatedBy, CustomDomainName: a.CustomDomainName, DNSEntry: dnsOf(a.DNSName),
			ID: a.ID, Status: statusActive}
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getSNSA(c *call) (any, error) {
	id, err := c.param("serviceNetworkServiceAssociationIdentifier", model.TypeServiceNetworkServiceAssociation)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetServiceNetworkServiceAssociation", c.arn(id)); err != nil {
		return nil, err
	}
	var out snsaOut
	err = c.view(func(tx store.ReadTx) error {
		a, _, err := load[model.ServiceNetworkServiceAssociation](c, tx, id)
		if err != nil {
			return err
		}
		out = snsaFull(a)
		return nil
	})
	return out, err
}

// owner reports whether a top-level resource named by an identifier exists
// and is the caller's; list operations return nothing for others.
func (c *call) owner(tx store.ReadTx, id ident) (bool, error) {
	var m model.Meta
	_, found, err := getBody(tx, model.KindOf(id.t), id.id, &m)
	if err != nil || !found {
		return false, err
	}
	return c.owned(&m, id), nil
}

func listSNSAs(c *call) (any, error) {
	q := c.r.URL.Query()
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	var snID, svcID ident
	if s := q.Get("serviceNetworkIdentifier"); s != "" {
		if snID, err = parseIdent("serviceNetworkIdentifier", model.TypeServiceNetwork, s); err != nil {
			return nil, err
		}
	}
	if s := q.Get("serviceIdentifier"); s != "" {
		if svcID, err = parseIdent("serviceIdentifier", model.TypeService, s); err != nil {
			return nil, err
		}
	}
	if snID.id == "" && svcID.id == "" {
		return nil, errValidation(model.ReasonFieldValidationFailed, "you must give serviceNetworkIdentifier or serviceIdentifier")
	}
	if err := c.authorize("ListServiceNetworkServiceAssociations", "*"); err != nil {
		return nil, err
	}
	type listOut struct {
		Items     []snsaOut `json:"items"`
		NextToken *string   `json:"nextToken,omitempty"`
	}
	out := listOut{Items: []snsaOut{}}
	err = c.view(func(tx store.ReadTx) error {
		for _, id := range []ident{snID, svcID} {
			if id.id == "" {
				continue
			}
			if ok, err := c.owner(tx, id); err != nil || !ok {
				return err
			}
		}
		var assocs []*model.ServiceNetworkServiceAssociation
		var next string
		switch {
		case snID.id != "" && svcID.id != "":
			rec, err := tx.GetByName(model.KindServiceNetworkServiceAssociation, snID.id, svcID.id)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if assocs, err = decodeAll[model.ServiceNetworkServiceAssociation]([]store.Record{rec}); err != nil {
				return err
			}
		case snID.id != "":
			recs, n, err := list(tx, model.KindServiceNetworkServiceAssociation, snID.id, p)
			if err != nil {
				return err
			}
			next = n
			if assocs, err = decodeAll[model.ServiceNetworkServiceAssociation](recs); err != nil {
				return err
			}
		default:
			refs, n, err := list(tx, kindSNSAByService, svcID.id, p)
			if err != nil {
				return err
			}
			next = n
			for _, r := range refs {
				a := new(model.ServiceNetworkServiceAssociation)
				if _, found, err := getBody(tx, model.KindServiceNetworkServiceAssociation, r.ID, a); err != nil {
					return err
				} else if found {
					assocs = append(assocs, a)
				}
			}
		}
		for _, a := range assocs {
			o := snsaFull(a)
			out.Items = append(out.Items, o)
		}
		out.NextToken = nextp(next)
		return nil
	})
	return out, err
}

func deleteSNSA(c *call) (any, error) {
	id, err := c.param("serviceNetworkServiceAssociationIdentifier", model.TypeServiceNetworkServiceAssociation)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteServiceNetworkServiceAssociation", c.arn(id)); err != nil {
		return nil, err
	}
	var out snsaOut
	err = c.update(func(tx store.Tx) error {
		a, _, err := load[model.ServiceNetworkServiceAssociation](c, tx, id)
		if err != nil {
			return err
		}
		for _, k := range []string{model.KindServiceNetworkServiceAssociation, kindSNSAByService} {
			if err := del(tx, k, a.ID); err != nil {
				return err
			}
		}
		if err := deleteOwned(tx, a.ID); err != nil {
			return err
		}
		out = snsaOut{Arn: a.ARN, ID: a.ID, Status: statusDeleteInProgress}
		return nil
	})
	return out, err
}

type snvaOut struct {
	Arn                string            `json:"arn,omitempty"`
	CreatedAt          *awsTime          `json:"createdAt,omitempty"`
	CreatedBy          string            `json:"createdBy,omitempty"`
	DNSOptions         *model.DNSOptions `json:"dnsOptions,omitempty"`
	ID                 string            `json:"id,omitempty"`
	LastUpdatedAt      *awsTime          `json:"lastUpdatedAt,omitempty"`
	PrivateDNSEnabled  *bool             `json:"privateDnsEnabled,omitempty"`
	SecurityGroupIDs   []string          `json:"securityGroupIds,omitempty"`
	ServiceNetworkArn  string            `json:"serviceNetworkArn,omitempty"`
	ServiceNetworkID   string            `json:"serviceNetworkId,omitempty"`
	ServiceNetworkName string            `json:"serviceNetworkName,omitempty"`
	Status             string            `json:"status,omitempty"`
	VPCID              string            `json:"vpcId,omitempty"`
}

func snvaFull(a *model.ServiceNetworkVPCAssociation, withSGs bool) snvaOut {
	o := snvaOut{Arn: a.ARN, CreatedAt: tsp(a.CreatedAt), CreatedBy: a.CreatedBy, DNSOptions: a.DNSOptions, ID: a.ID,
		LastUpdatedAt: tsp(a.LastUpdatedAt), PrivateDNSEnabled: a.PrivateDNSEnabled,
		ServiceNetworkArn: a.ServiceNetworkARN, ServiceNetworkID: a.ServiceNetworkID, ServiceNetworkName: a.ServiceNetworkName,
		Status: statusActive, VPCID: a.VPCID}
	if withSGs {
		o.SecurityGroupIDs = a.SecurityGroupIDs
	}
	return o
}

func createSNVA(c *call) (any, error) {
	var in struct {
		ServiceNetworkIdentifier string            `json:"serviceNetworkIdentifier"`
		VPCIdentifier            string            `json:"vpcIdentifier"`
		SecurityGroupIDs         []string          `json:"securityGroupIds"`
		PrivateDNSEnabled        *bool             `json:"privateDnsEnabled"`
		DNSOptions               *model.DNSOptions `json:"dnsOptions"`
		ClientToken              string            `json:"clientToken"`
		Tags                     map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	snID, err := parseIdent("serviceNetworkIdentifier", model.TypeServiceNetwork, in.ServiceNetworkIdentifier)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("CreateServiceNetworkVpcAssociation", c.arn(snID)); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, c.pattern(model.TypeServiceNetworkVPCAssociation)); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("vpcIdentifier", in.VPCIdentifier != "") {
		v.VPCID("vpcIdentifier", in.VPCIdentifier)
	}
	v.SecurityGroupIDs("securityGroupIds", in.SecurityGroupIDs, 0)
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.ServiceNetworkIdentifier = snID.id
	hash := requestHash(c.op.Name, nil, in)
	var out any
	err = c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		sn, _, err := load[model.ServiceNetwork](c, tx, snID)
		if err != nil {
			return err
		}
		n, err := tx.Count(model.KindServiceNetworkVPCAssociation, sn.ID)
		if err != nil {
			return err
		}
		if q := c.api.quotas.VPCAssociationsPerServiceNetwork; q.Exceeded(n) {
			return errQuota(q, sn.ID)
		}
		id, err := c.api.newID(model.TypeServiceNetworkVPCAssociation)
		if err != nil {
			return err
		}
		_, err = tx.Create(store.Record{Kind: kindSNVAByVPC, ID: c.caller.Account + "/" + in.VPCIdentifier, Parent: c.caller.Account, Body: mustJSON(id)})
		if errors.Is(err, store.ErrExists) {
			var other string
			rec, gerr := tx.Get(kindSNVAByVPC, c.caller.Account+"/"+in.VPCIdentifier)
			if gerr == nil {
				json.Unmarshal(rec.Body, &other)
			}
			return errConflict(model.TypeServiceNetworkVPCAssociation, other,
				"VPC %s is already associated with a service network (%s); a VPC can be associated with one service network", in.VPCIdentifier, other)
		}
		if err != nil {
			return err
		}
		a := model.ServiceNetworkVPCAssociation{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeServiceNetworkVPCAssociation, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			ServiceNetworkID: sn.ID, ServiceNetworkARN: sn.ARN, ServiceNetworkName: sn.Name, VPCID: in.VPCIdentifier,
			SecurityGroupIDs: in.SecurityGroupIDs, PrivateDNSEnabled: in.PrivateDNSEnabled, DNSOptions: in.DNSOptions,
			CreatedBy: c.caller.Account,
		}
		if _, err := tx.Create(store.Record{Kind: model.KindServiceNetworkVPCAssociation, ID: id, Parent: sn.ID, Name: a.VPCID, Body: mustJSON(a)}); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, a.ARN, in.Tags); err != nil {
			return err
		}
		resp := snvaOut{Arn: a.ARN, CreatedBy: a.CreatedBy, DNSOptions: a.DNSOptions, ID: a.ID,
			PrivateDNSEnabled: a.PrivateDNSEnabled, SecurityGroupIDs: a.SecurityGroupIDs, Status: statusActive}
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getSNVA(c *call) (any, error) {
	id, err := c.param("serviceNetworkVpcAssociationIdentifier", model.TypeServiceNetworkVPCAssociation)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetServiceNetworkVpcAssociation", c.arn(id)); err != nil {
		return nil, err
	}
	var out snvaOut
	err = c.view(func(tx store.ReadTx) error {
		a, _, err := load[model.ServiceNetworkVPCAssociation](c, tx, id)
		if err != nil {
			return err
		}
		out = snvaFull(a, true)
		return nil
	})
	return out, err
}

func listSNVAs(c *call) (any, error) {
	q := c.r.URL.Query()
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	var snID ident
	if s := q.Get("serviceNetworkIdentifier"); s != "" {
		if snID, err = parseIdent("serviceNetworkIdentifier", model.TypeServiceNetwork, s); err != nil {
			return nil, err
		}
	}
	vpc := q.Get("vpcIdentifier")
	if vpc != "" {
		var v model.Validator
		if !v.VPCID("vpcIdentifier", vpc) {
			return nil, v.Err()
		}
	}
	if snID.id == "" && vpc == "" {
		return nil, errValidation(model.ReasonFieldValidationFailed, "you must give serviceNetworkIdentifier or vpcIdentifier")
	}
	if err := c.authorize("ListServiceNetworkVpcAssociations", "*"); err != nil {
		return nil, err
	}
	type listOut struct {
		Items     []snvaOut `json:"items"`
		NextToken *string   `json:"nextToken,omitempty"`
	}
	out := listOut{Items: []snvaOut{}}
	err = c.view(func(tx store.ReadTx) error {
		var assocs []*model.ServiceNetworkVPCAssociation
		var next string
		if snID.id != "" {
			if ok, err := c.owner(tx, snID); err != nil || !ok {
				return err
			}
			recs, n, err := list(tx, model.KindServiceNetworkVPCAssociation, snID.id, p)
			if err != nil {
				return err
			}
			next = n
			if assocs, err = decodeAll[model.ServiceNetworkVPCAssociation](recs); err != nil {
				return err
			}
		} else {
			var assocID string
			if _, found, err := getBody(tx, kindSNVAByVPC, c.caller.Account+"/"+vpc, &assocID); err != nil || !found {
				return err
			}
			a := new(model.ServiceNetworkVPCAssociation)
			if _, found, err := getBody(tx, model.KindServiceNetworkVPCAssociation, assocID, a); err != nil || !found {
				return err
			}
			assocs = append(assocs, a)
		}
		for _, a := range assocs {
			if vpc != "" && a.VPCID != vpc {
				continue
			}
			out.Items = append(out.Items, snvaFull(a, false))
		}
		out.NextToken = nextp(next)
		return nil
	})
	return out, err
}

func updateSNVA(c *call) (any, error) {
	id, err := c.param("serviceNetworkVpcAssociationIdentifier", model.TypeServiceNetworkVPCAssociation)
	if err != nil {
		return nil, err
	}
	var in struct {
		SecurityGroupIDs []string `json:"securityGroupIds"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateServiceNetworkVpcAssociation", c.arn(id)); err != nil {
		return nil, err
	}
	var v model.Validator
	v.SecurityGroupIDs("securityGroupIds", in.SecurityGroupIDs, 1)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out snvaOut
	err = c.update(func(tx store.Tx) error {
		a, rec, err := load[model.ServiceNetworkVPCAssociation](c, tx, id)
		if err != nil {
			return err
		}
		a.SecurityGroupIDs = in.SecurityGroupIDs
		a.LastUpdatedAt = c.now
		if err := put(tx, rec, a); err != nil {
			return err
		}
		out = snvaOut{Arn: a.ARN, CreatedBy: a.CreatedBy, ID: a.ID, SecurityGroupIDs: a.SecurityGroupIDs, Status: statusActive}
		return nil
	})
	return out, err
}

func deleteSNVA(c *call) (any, error) {
	id, err := c.param("serviceNetworkVpcAssociationIdentifier", model.TypeServiceNetworkVPCAssociation)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteServiceNetworkVpcAssociation", c.arn(id)); err != nil {
		return nil, err
	}
	var out snvaOut
	err = c.update(func(tx store.Tx) error {
		a, _, err := load[model.ServiceNetworkVPCAssociation](c, tx, id)
		if err != nil {
			return err
		}
		if err := del(tx, model.KindServiceNetworkVPCAssociation, a.ID); err != nil {
			return err
		}
		if err := del(tx, kindSNVAByVPC, a.Account+"/"+a.VPCID); err != nil {
			return err
		}
		if err := deleteOwned(tx, a.ID); err != nil {
			return err
		}
		out = snvaOut{Arn: a.ARN, ID: a.ID, Status: statusDeleteInProgress}
		return nil
	})
	return out, err
}
