package controlplane

import (
	"errors"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// Index records the control plane keeps next to the resources.
const (
	// kindDomain reserves a custom domain name in an account: ID
	// ACCOUNT/DOMAIN, body the service ID.
	kindDomain = "vpclattice.index.domain"
	// kindSNSAByService lists the service network associations of a
	// service: ID the association ID, parent the service ID.
	kindSNSAByService = "vpclattice.index.snsa-by-service"
	// kindSNVAByVPC reserves a VPC for one service network association:
	// ID ACCOUNT/VPC, parent the account, body the association ID.
	kindSNVAByVPC = "vpclattice.index.snva-by-vpc"
	// kindTGRef records that a rule forwards to a target group: ID
	// TG/RULE, parent the target group ID, body the rule's service.
	kindTGRef = "vpclattice.index.tg-ref"
)

const (
	statusActive           = "ACTIVE"
	statusDeleteInProgress = "DELETE_IN_PROGRESS"
)

type dnsEntry struct {
	DomainName   string `json:"domainName,omitempty"`
	HostedZoneID string `json:"hostedZoneId,omitempty"`
}

func dnsOf(name string) *dnsEntry {
	if name == "" {
		return nil
	}
	return &dnsEntry{DomainName: name}
}

type serviceOut struct {
	Arn              string         `json:"arn,omitempty"`
	AuthType         model.AuthType `json:"authType,omitempty"`
	CertificateArn   string         `json:"certificateArn,omitempty"`
	CreatedAt        *awsTime       `json:"createdAt,omitempty"`
	CustomDomainName string         `json:"customDomainName,omitempty"`
	DNSEntry         *dnsEntry      `json:"dnsEntry,omitempty"`
	ID               string         `json:"id,omitempty"`
	LastUpdatedAt    *awsTime       `json:"lastUpdatedAt,omitempty"`
	Name             string         `json:"name,omitempty"`
	Status           string         `json:"status,omitempty"`
}

func createService(c *call) (any, error) {
	var in struct {
		Name             string            `json:"name"`
		AuthType         model.AuthType    `json:"authType"`
		CertificateArn   string            `json:"certificateArn"`
		ClientToken      string            `json:"clientToken"`
		CustomDomainName string            `json:"customDomainName"`
		Tags             map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	pattern := c.pattern(model.TypeService)
	if err := c.authorize("CreateService", pattern); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, pattern); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("name", in.Name != "") {
		v.Name("name", in.Name, model.ServiceNameRule)
	}
	if in.AuthType == "" {
		in.AuthType = model.AuthNone
	} else {
		v.Enum("authType", string(in.AuthType), string(model.AuthNone), string(model.AuthIAM))
	}
	v.CertificateARN("certificateArn", in.CertificateArn)
	if in.CustomDomainName != "" {
		v.DomainName("customDomainName", in.CustomDomainName)
	}
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.CustomDomainName = lower(in.CustomDomainName)
	hash := requestHash(c.op.Name, c.params, in)
	var out any
	err := c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		n, err := tx.Count(model.KindService, c.caller.Account)
		if err != nil {
			return err
		}
		if q := c.api.quotas.ServicesPerRegion; q.Exceeded(n) {
			return errQuota(q, "")
		}
		id, err := c.api.newID(model.TypeService)
		if err != nil {
			return err
		}
		svc := model.Service{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeService, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			Name: in.Name, AuthType: in.AuthType, CertificateARN: in.CertificateArn, CustomDomainName: in.CustomDomainName,
			DNSName: model.ServiceDNSName(in.Name, id, c.caller.Account, c.api.region, c.api.dnsSuffix),
		}
		if svc.CustomDomainName != "" {
			_, err := tx.Create(store.Record{Kind: kindDomain, ID: c.caller.Account + "/" + svc.CustomDomainName,
				Parent: c.caller.Account, Body: mustJSON(id)})
			if errors.Is(err, store.ErrExists) {
				return errConflict(model.TypeService, svc.CustomDomainName,
					"another service of this account already uses the custom domain name %s", svc.CustomDomainName)
			}
			if err != nil {
				return err
			}
		}
		if err := create(tx, model.KindService, id, c.caller.Account, svc.Name, svc, model.TypeService); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, svc.ARN, in.Tags); err != nil {
			return err
		}
		resp := serviceOut{Arn: svc.ARN, AuthType: svc.AuthType, CertificateArn: svc.CertificateARN,
			CustomDomainName: svc.CustomDomainName, DNSEntry: dnsOf(svc.DNSName), ID: svc.ID, Name: svc.Name, Status: statusActive}
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getService(c *call) (any, error) {
	id, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetService", c.arn(id)); err != nil {
		return nil, err
	}
	var out serviceOut
	err = c.view(func(tx store.ReadTx) error {
		svc, _, err := load[model.Service](c, tx, id)
		if err != nil {
			return err
		}
		out = serviceOut{Arn: svc.ARN, AuthType: svc.AuthType, CertificateArn: svc.CertificateARN, CreatedAt: tsp(svc.CreatedAt),
			CustomDomainName: svc.CustomDomainName, DNSEntry: dnsOf(svc.DNSName), ID: svc.ID,
			LastUpdatedAt: tsp(svc.LastUpdatedAt), Name: svc.Name, Status: statusActive}
		return nil
	})
	return out, err
}

func listServices(c *call) (any, error) {
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListServices", "*"); err != nil {
		return nil, err
	}
	var out listPage[serviceOut]
	err = c.view(func(tx store.ReadTx) (err error) {
		out, err = readPage(tx, model.KindService, c.caller.Account, p, func(svc *model.Service) (serviceOut, bool, error) {
			return serviceOut{Arn: svc.ARN, CreatedAt: tsp(svc.CreatedAt),
				CustomDomainName: svc.CustomDomainName, DNSEntry: dnsOf(svc.DNSName), ID: svc.ID,
				LastUpdatedAt: tsp(svc.LastUpdatedAt), Name: svc.Name, Status: statusActive}, true, nil
		})
		return err
	})
	return out, err
}

func updateService(c *call) (any, error) {
	id, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	var in struct {
		AuthType       model.AuthType `json:"authType"`
		CertificateArn *string        `json:"certificateArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateService", c.arn(id)); err != nil {
		return nil, err
	}
	var v model.Validator
	if in.AuthType != "" {
		v.Enum("authType", string(in.AuthType), string(model.AuthNone), string(model.AuthIAM))
	}
	if in.CertificateArn != nil {
		v.CertificateARN("certificateArn", *in.CertificateArn)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out serviceOut
	err = c.update(func(tx store.Tx) error {
		svc, rec, err := load[model.Service](c, tx, id)
		if err != nil {
			return err
		}
		changed := false
		if in.AuthType != "" && in.AuthType != svc.AuthType {
			svc.AuthType, changed = in.AuthType, true
		}
		if in.CertificateArn != nil && *in.CertificateArn != svc.CertificateARN {
			svc.CertificateARN, changed = *in.CertificateArn, true
		}
		if changed {
			svc.LastUpdatedAt = c.now
			if err := put(tx, rec, svc); err != nil {
				return err
			}
		}
		out = serviceOut{Arn: svc.ARN, AuthType: svc.AuthType, CertificateArn: svc.CertificateARN,
			CustomDomainName: svc.CustomDomainName, ID: svc.ID, Name: svc.Name}
		return nil
	})
	return out, err
}

func deleteService(c *call) (any, error) {
	id, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteService", c.arn(id)); err != nil {
		return nil, err
	}
	var out serviceOut
	err = c.update(func(tx store.Tx) error {
		svc, _, err := load[model.Service](c, tx, id)
		if err != nil {
			return err
		}
		n, err := tx.Count(kindSNSAByService, svc.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return errConflict(model.TypeService, svc.ID,
				"service %s is associated with %d service networks; delete the associations first", svc.ID, n)
		}
		listeners, err := listAll(tx, model.KindListener, svc.ID)
		if err != nil {
			return err
		}
		for _, l := range listeners {
			if err := deleteListenerTx(tx, l.ID); err != nil {
				return err
			}
		}
		if svc.CustomDomainName != "" {
			if err := del(tx, kindDomain, c.caller.Account+"/"+svc.CustomDomainName); err != nil {
				return err
			}
		}
		if err := del(tx, model.KindService, svc.ID); err != nil {
			return err
		}
		if err := deleteOwned(tx, svc.ID); err != nil {
			return err
		}
		out = serviceOut{Arn: svc.ARN, ID: svc.ID, Name: svc.Name, Status: statusDeleteInProgress}
		return nil
	})
	return out, err
}
