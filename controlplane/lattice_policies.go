package controlplane

import (
	"strings"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// parseNetworkOrService reads an identifier that names a service network or
// a service by ID or ARN (ResourceIdentifier). arnOnly refuses IDs
// (ResourceArn).
func parseNetworkOrService(field, s string, arnOnly bool) (ident, error) {
	for _, t := range []model.ResourceType{model.TypeServiceNetwork, model.TypeService} {
		id, arn, ok := model.ParseIdentifier(t, s)
		if ok && (!arnOnly || arn != nil) {
			return ident{t: t, id: id, arn: arn}, nil
		}
	}
	if s == "" {
		return ident{}, errField(field, "is required")
	}
	if arnOnly {
		return ident{}, errField(field, "must be the ARN of a service network or a service, got %q", s)
	}
	return ident{}, errField(field, "must be the ID or ARN of a service network or a service, got %q", s)
}

// authTypeOf reads the service network or service an identifier names and
// returns its auth type and ARN.
func (c *call) authTypeOf(tx store.ReadTx, id ident) (model.AuthType, string, store.Record, error) {
	if id.t == model.TypeServiceNetwork {
		sn, rec, err := load[model.ServiceNetwork](c, tx, id)
		if err != nil {
			return "", "", rec, err
		}
		return sn.AuthType, sn.ARN, rec, nil
	}
	svc, rec, err := load[model.Service](c, tx, id)
	if err != nil {
		return "", "", rec, err
	}
	return svc.AuthType, svc.ARN, rec, nil
}

const (
	resourceTypeAuthPolicy     = "AUTH_POLICY"
	resourceTypeResourcePolicy = "RESOURCE_POLICY"
)

// readPutPolicy reads a PutAuthPolicy or PutResourcePolicy call: the
// resource it names (in the path parameter field), the authorised caller,
// and a policy that parse accepts.
func readPutPolicy(c *call, field string, arnOnly bool, action string, parse func(doc, name string) error) (ident, string, error) {
	id, err := parseNetworkOrService(field, c.params[field], arnOnly)
	if err != nil {
		return id, "", err
	}
	var in struct {
		Policy *string `json:"policy"`
	}
	if err := c.decode(&in); err != nil {
		return id, "", err
	}
	if err := c.authorize(action, c.arn(id)); err != nil {
		return id, "", err
	}
	if in.Policy == nil || strings.TrimSpace(*in.Policy) == "" {
		return id, "", errField("policy", "is required")
	}
	return id, *in.Policy, parse(*in.Policy, id.id)
}

func putAuthPolicy(c *call) (any, error) {
	id, policy, err := readPutPolicy(c, "resourceIdentifier", false, "PutAuthPolicy", func(doc, name string) error {
		_, err := model.ParseAuthPolicy(doc, "auth policy of "+name)
		return err
	})
	if err != nil {
		return nil, err
	}
	type putOut struct {
		Policy string                `json:"policy"`
		State  model.AuthPolicyState `json:"state"`
	}
	var out putOut
	err = c.update(func(tx store.Tx) error {
		authType, arn, _, err := c.authTypeOf(tx, id)
		if err != nil {
			return err
		}
		ap := model.AuthPolicy{ResourceID: id.id, ResourceARN: arn, Account: c.caller.Account, Policy: policy,
			CreatedAt: c.now, LastUpdatedAt: c.now}
		var old model.AuthPolicy
		rec, found, err := getBody(tx, model.KindAuthPolicy, id.id, &old)
		if err != nil {
			return err
		}
		if found {
			ap.CreatedAt = old.CreatedAt
			err = put(tx, rec, ap)
		} else {
			_, err = tx.Create(store.Record{Kind: model.KindAuthPolicy, ID: id.id, Parent: c.caller.Account, Body: mustJSON(ap)})
		}
		if err != nil {
			return err
		}
		out = putOut{Policy: ap.Policy, State: model.StateFor(authType)}
		return nil
	})
	return out, err
}

func getAuthPolicy(c *call) (any, error) {
	id, err := parseNetworkOrService("resourceIdentifier", c.params["resourceIdentifier"], false)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetAuthPolicy", c.arn(id)); err != nil {
		return nil, err
	}
	type getOut struct {
		CreatedAt     *awsTime              `json:"createdAt,omitempty"`
		LastUpdatedAt *awsTime              `json:"lastUpdatedAt,omitempty"`
		Policy        string                `json:"policy"`
		State         model.AuthPolicyState `json:"state"`
	}
	var out getOut
	err = c.view(func(tx store.ReadTx) error {
		authType, _, _, err := c.authTypeOf(tx, id)
		if err != nil {
			return err
		}
		var ap model.AuthPolicy
		_, found, err := getBody(tx, model.KindAuthPolicy, id.id, &ap)
		if err != nil {
			return err
		}
		if !found {
			return errNotFoundf(resourceTypeAuthPolicy, id.id, "%s %s has no auth policy", describe(id.t), id.id)
		}
		out = getOut{CreatedAt: tsp(ap.CreatedAt), LastUpdatedAt: tsp(ap.LastUpdatedAt), Policy: ap.Policy, State: model.StateFor(authType)}
		return nil
	})
	return out, err
}

func deleteAuthPolicy(c *call) (any, error) {
	id, err := parseNetworkOrService("resourceIdentifier", c.params["resourceIdentifier"], false)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteAuthPolicy", c.arn(id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		authType, _, _, err := c.authTypeOf(tx, id)
		if err != nil {
			return err
		}
		var ap model.AuthPolicy
		_, found, err := getBody(tx, model.KindAuthPolicy, id.id, &ap)
		if err != nil {
			return err
		}
		if !found {
			return errNotFoundf(resourceTypeAuthPolicy, id.id, "%s %s has no auth policy", describe(id.t), id.id)
		}
		if authType == model.AuthIAM {
			return errConflict(id.t, id.id,
				"the auth type of %s %s is AWS_IAM: set the auth type to NONE before deleting its auth policy (with AWS_IAM and no auth policy every request would be denied)",
				describe(id.t), id.id)
		}
		return del(tx, model.KindAuthPolicy, id.id)
	})
	return nil, err
}

func putResourcePolicy(c *call) (any, error) {
	id, policy, err := readPutPolicy(c, "resourceArn", true, "PutResourcePolicy", func(doc, name string) error {
		_, err := model.ParseResourcePolicy(doc, "resource policy of "+name)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		_, arn, _, err := c.authTypeOf(tx, id)
		if err != nil {
			return err
		}
		rp := model.ResourcePolicy{ResourceID: id.id, ResourceARN: arn, Account: c.caller.Account, Policy: policy}
		var old model.ResourcePolicy
		rec, found, err := getBody(tx, model.KindResourcePolicy, id.id, &old)
		if err != nil {
			return err
		}
		if found {
			return put(tx, rec, rp)
		}
		_, err = tx.Create(store.Record{Kind: model.KindResourcePolicy, ID: id.id, Parent: c.caller.Account, Body: mustJSON(rp)})
		return err
	})
	return struct{}{}, err
}

func getResourcePolicy(c *call) (any, error) {
	id, err := parseNetworkOrService("resourceArn", c.params["resourceArn"], true)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetResourcePolicy", c.arn(id)); err != nil {
		return nil, err
	}
	type getOut struct {
		Policy string `json:"policy"`
	}
	var out getOut
	err = c.view(func(tx store.ReadTx) error {
		if _, _, _, err := c.authTypeOf(tx, id); err != nil {
			return err
		}
		var rp model.ResourcePolicy
		_, found, err := getBody(tx, model.KindResourcePolicy, id.id, &rp)
		if err != nil {
			return err
		}
		if !found {
			return errNotFoundf(resourceTypeResourcePolicy, id.id, "%s %s has no resource policy", describe(id.t), id.id)
		}
		out.Policy = rp.Policy
		return nil
	})
	return out, err
}

func deleteResourcePolicy(c *call) (any, error) {
	id, err := parseNetworkOrService("resourceArn", c.params["resourceArn"], true)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteResourcePolicy", c.arn(id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		if _, _, _, err := c.authTypeOf(tx, id); err != nil {
			return err
		}
		var rp model.ResourcePolicy
		_, found, err := getBody(tx, model.KindResourcePolicy, id.id, &rp)
		if err != nil {
			return err
		}
		if !found {
			return errNotFoundf(resourceTypeResourcePolicy, id.id, "%s %s has no resource policy", describe(id.t), id.id)
		}
		return del(tx, model.KindResourcePolicy, id.id)
	})
	return nil, err
}
