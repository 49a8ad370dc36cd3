package controlplane

import (
	"encoding/json"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type serviceNetworkOut struct {
	Arn                        string               `json:"arn,omitempty"`
	AuthType                   model.AuthType       `json:"authType,omitempty"`
	CreatedAt                  *awsTime             `json:"createdAt,omitempty"`
	ID                         string               `json:"id,omitempty"`
	LastUpdatedAt              *awsTime             `json:"lastUpdatedAt,omitempty"`
	Name                       string               `json:"name,omitempty"`
	NumberOfAssociatedServices *int64               `json:"numberOfAssociatedServices,omitempty"`
	NumberOfAssociatedVPCs     *int64               `json:"numberOfAssociatedVPCs,omitempty"`
	SharingConfig              *model.SharingConfig `json:"sharingConfig,omitempty"`
}

func int64p(n int) *int64 { x := int64(n); return &x }

func snCounts(tx store.ReadTx, id string) (services, vpcs int, err error) {
	if services, err = tx.Count(model.KindServiceNetworkServiceAssociation, id); err != nil {
		return
	}
	vpcs, err = tx.Count(model.KindServiceNetworkVPCAssociation, id)
	return
}

func createServiceNetwork(c *call) (any, error) {
	var in struct {
		Name          string               `json:"name"`
		AuthType      model.AuthType       `json:"authType"`
		ClientToken   string               `json:"clientToken"`
		SharingConfig *model.SharingConfig `json:"sharingConfig"`
		Tags          map[string]string    `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("CreateServiceNetwork", c.pattern(model.TypeServiceNetwork)); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, c.pattern(model.TypeServiceNetwork)); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("name", in.Name != "") {
		v.Name("name", in.Name, model.ServiceNetworkNameRule)
	}
	if in.AuthType == "" {
		in.AuthType = model.AuthNone
	} else {
		v.Enum("authType", string(in.AuthType), string(model.AuthNone), string(model.AuthIAM))
	}
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash := requestHash(c.op.Name, c.params, in)
	var out any
	err := c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		n, err := tx.Count(model.KindServiceNetwork, c.caller.Account)
		if err != nil {
			return err
		}
		if q := c.api.quotas.ServiceNetworksPerRegion; q.Exceeded(n) {
			return errQuota(q, "")
		}
		id, err := c.api.newID(model.TypeServiceNetwork)
		if err != nil {
			return err
		}
		sn := model.ServiceNetwork{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeServiceNetwork, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			Name: in.Name, AuthType: in.AuthType, SharingConfig: in.SharingConfig,
		}
		if err := create(tx, model.KindServiceNetwork, id, c.caller.Account, sn.Name, sn, model.TypeServiceNetwork); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, sn.ARN, in.Tags); err != nil {
			return err
		}
		resp := serviceNetworkOut{Arn: sn.ARN, AuthType: sn.AuthType, ID: sn.ID, Name: sn.Name, SharingConfig: sn.SharingConfig}
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getServiceNetwork(c *call) (any, error) {
	id, err := c.param("serviceNetworkIdentifier", model.TypeServiceNetwork)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetServiceNetwork", c.arn(id)); err != nil {
		return nil, err
	}
	var out serviceNetworkOut
	err = c.view(func(tx store.ReadTx) error {
		sn, _, err := load[model.ServiceNetwork](c, tx, id)
		if err != nil {
			return err
		}
		svcs, vpcs, err := snCounts(tx, sn.ID)
		if err != nil {
			return err
		}
		out = serviceNetworkOut{Arn: sn.ARN, AuthType: sn.AuthType, CreatedAt: tsp(sn.CreatedAt), ID: sn.ID,
			LastUpdatedAt: tsp(sn.LastUpdatedAt), Name: sn.Name, NumberOfAssociatedServices: int64p(svcs),
			NumberOfAssociatedVPCs: int64p(vpcs), SharingConfig: sn.SharingConfig}
		return nil
	})
	return out, err
}

func listServiceNetworks(c *call) (any, error) {
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListServiceNetworks", "*"); err != nil {
		return nil, err
	}
	var out listPage[serviceNetworkOut]
	err = c.view(func(tx store.ReadTx) (err error) {
		out, err = readPage(tx, model.KindServiceNetwork, c.caller.Account, p, func(sn *model.ServiceNetwork) (serviceNetworkOut, bool, error) {
			svcs, vpcs, err := snCounts(tx, sn.ID)
			return serviceNetworkOut{Arn: sn.ARN, CreatedAt: tsp(sn.CreatedAt), ID: sn.ID,
				LastUpdatedAt: tsp(sn.LastUpdatedAt), Name: sn.Name,
				NumberOfAssociatedServices: int64p(svcs), NumberOfAssociatedVPCs: int64p(vpcs)}, true, err
		})
		return err
	})
	return out, err
}

func updateServiceNetwork(c *call) (any, error) {
	id, err := c.param("serviceNetworkIdentifier", model.TypeServiceNetwork)
	if err != nil {
		return nil, err
	}
	var in struct {
		AuthType model.AuthType `json:"authType"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateServiceNetwork", c.arn(id)); err != nil {
		return nil, err
	}
	var v model.Validator
	if v.Required("authType", in.AuthType != "") {
		v.Enum("authType", string(in.AuthType), string(model.AuthNone), string(model.AuthIAM))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out serviceNetworkOut
	err = c.update(func(tx store.Tx) error {
		sn, rec, err := load[model.ServiceNetwork](c, tx, id)
		if err != nil {
			return err
		}
		if sn.AuthType != in.AuthType {
			sn.AuthType = in.AuthType
			sn.LastUpdatedAt = c.now
			if err := put(tx, rec, sn); err != nil {
				return err
			}
		}
		out = serviceNetworkOut{Arn: sn.ARN, AuthType: sn.AuthType, ID: sn.ID, Name: sn.Name}
		return nil
	})
	return out, err
}

func deleteServiceNetwork(c *call) (any, error) {
	id, err := c.param("serviceNetworkIdentifier", model.TypeServiceNetwork)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteServiceNetwork", c.arn(id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		sn, _, err := load[model.ServiceNetwork](c, tx, id)
		if err != nil {
			return err
		}
		svcs, vpcs, err := snCounts(tx, sn.ID)
		if err != nil {
			return err
		}
		if svcs > 0 || vpcs > 0 {
			return errConflict(model.TypeServiceNetwork, sn.ID,
				"service network %s still has %d service associations and %d VPC associations; delete them first", sn.ID, svcs, vpcs)
		}
		if err := del(tx, model.KindServiceNetwork, sn.ID); err != nil {
			return err
		}
		return deleteOwned(tx, sn.ID)
	})
	return nil, err
}

// rawJSON lets a recorded response be returned as is.
var _ json.Marshaler = json.RawMessage(nil)
