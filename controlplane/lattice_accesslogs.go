package controlplane

import (
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type accessLogOut struct {
	Arn                   string   `json:"arn,omitempty"`
	CreatedAt             *awsTime `json:"createdAt,omitempty"`
	DestinationArn        string   `json:"destinationArn,omitempty"`
	ID                    string   `json:"id,omitempty"`
	LastUpdatedAt         *awsTime `json:"lastUpdatedAt,omitempty"`
	ResourceArn           string   `json:"resourceArn,omitempty"`
	ResourceID            string   `json:"resourceId,omitempty"`
	ServiceNetworkLogType string   `json:"serviceNetworkLogType,omitempty"`
}

func alsFull(a *model.AccessLogSubscription) accessLogOut {
	return accessLogOut{Arn: a.ARN, CreatedAt: tsp(a.CreatedAt), DestinationArn: a.DestinationARN, ID: a.ID,
		LastUpdatedAt: tsp(a.LastUpdatedAt), ResourceArn: a.ResourceARN, ResourceID: a.ResourceID,
		ServiceNetworkLogType: a.ServiceNetworkLogType}
}

// checkDestinationFree refuses a second subscription of a resource to the
// same kind of destination (and, for service networks, log type).
func checkDestinationFree(tx store.ReadTx, resourceID, exceptID string, dest model.LogDestination, logType string) error {
	recs, err := listAll(tx, model.KindAccessLogSubscription, resourceID)
	if err != nil {
		return err
	}
	subs, err := decodeAll[model.AccessLogSubscription](recs)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if s.ID == exceptID || s.ServiceNetworkLogType != logType {
			continue
		}
		if d, err := model.ParseLogDestination(s.DestinationARN); err == nil && d.Service == dest.Service {
			return errConflict(model.TypeAccessLogSubscription, s.ID,
				"%s already has access log subscription %s to a %s destination; a resource can have one subscription per destination type", resourceID, s.ID, dest.Service)
		}
	}
	return nil
}

func createAccessLogSubscription(c *call) (any, error) {
	var in struct {
		ResourceIdentifier    string            `json:"resourceIdentifier"`
		DestinationArn        string            `json:"destinationArn"`
		ServiceNetworkLogType string            `json:"serviceNetworkLogType"`
		ClientToken           string            `json:"clientToken"`
		Tags                  map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	res, err := parseNetworkOrService("resourceIdentifier", in.ResourceIdentifier, false)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("CreateAccessLogSubscription", c.arn(res)); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, c.pattern(model.TypeAccessLogSubscription)); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	dest, err := model.ParseLogDestination(in.DestinationArn)
	if in.DestinationArn == "" {
		v.Addf("destinationArn", "is required")
	} else {
		v.Merge(err)
	}
	switch {
	case res.t == model.TypeService && in.ServiceNetworkLogType != "":
		v.Addf("serviceNetworkLogType", "applies only to service networks")
	case res.t == model.TypeServiceNetwork && in.ServiceNetworkLogType == "":
		in.ServiceNetworkLogType = model.LogTypeService
	case res.t == model.TypeServiceNetwork:
		v.Enum("serviceNetworkLogType", in.ServiceNetworkLogType, model.LogTypeService, model.LogTypeResource)
	}
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	in.ResourceIdentifier = res.id
	hash := requestHash(c.op.Name, nil, in)
	var out any
	err = c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		_, resARN, _, err := c.authTypeOf(tx, res)
		if err != nil {
			return err
		}
		if err := checkDestinationFree(tx, res.id, "", dest, in.ServiceNetworkLogType); err != nil {
			return err
		}
		id, err := c.api.newID(model.TypeAccessLogSubscription)
		if err != nil {
			return err
		}
		a := model.AccessLogSubscription{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeAccessLogSubscription, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			ResourceID: res.id, ResourceARN: resARN, DestinationARN: in.DestinationArn, ServiceNetworkLogType: in.ServiceNetworkLogType,
		}
		if _, err := tx.Create(store.Record{Kind: model.KindAccessLogSubscription, ID: id, Parent: res.id, Body: mustJSON(a)}); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, a.ARN, in.Tags); err != nil {
			return err
		}
		resp := alsFull(&a)
		resp.CreatedAt, resp.LastUpdatedAt = nil, nil
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getAccessLogSubscription(c *call) (any, error) {
	id, err := c.param("accessLogSubscriptionIdentifier", model.TypeAccessLogSubscription)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetAccessLogSubscription", c.arn(id)); err != nil {
		return nil, err
	}
	var out accessLogOut
	err = c.view(func(tx store.ReadTx) error {
		a, _, err := load[model.AccessLogSubscription](c, tx, id)
		if err != nil {
			return err
		}
		out = alsFull(a)
		return nil
	})
	return out, err
}

func listAccessLogSubscriptions(c *call) (any, error) {
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	res, err := parseNetworkOrService("resourceIdentifier", c.r.URL.Query().Get("resourceIdentifier"), false)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListAccessLogSubscriptions", c.arn(res)); err != nil {
		return nil, err
	}
	var out listPage[accessLogOut]
	err = c.view(func(tx store.ReadTx) (err error) {
		if ok, err := c.owner(tx, res); err != nil || !ok {
			return err
		}
		out, err = readPage(tx, model.KindAccessLogSubscription, res.id, p, func(a *model.AccessLogSubscription) (accessLogOut, bool, error) {
			return alsFull(a), true, nil
		})
		return err
	})
	return out, err
}

func updateAccessLogSubscription(c *call) (any, error) {
	id, err := c.param("accessLogSubscriptionIdentifier", model.TypeAccessLogSubscription)
	if err != nil {
		return nil, err
	}
	var in struct {
		DestinationArn string `json:"destinationArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateAccessLogSubscription", c.arn(id)); err != nil {
		return nil, err
	}
	if in.DestinationArn == "" {
		return nil, errField("destinationArn", "is required")
	}
	dest, err := model.ParseLogDestination(in.DestinationArn)
	if err != nil {
		return nil, err
	}
	var out accessLogOut
	err = c.update(func(tx store.Tx) error {
		a, rec, err := load[model.AccessLogSubscription](c, tx, id)
		if err != nil {
			return err
		}
		if err := checkDestinationFree(tx, a.ResourceID, a.ID, dest, a.ServiceNetworkLogType); err != nil {
			return err
		}
		a.DestinationARN = in.DestinationArn
		a.LastUpdatedAt = c.now
		if err := put(tx, rec, a); err != nil {
			return err
		}
		out = accessLogOut{Arn: a.ARN, DestinationArn: a.DestinationARN, ID: a.ID, ResourceArn: a.ResourceARN, ResourceID: a.ResourceID}
		return nil
	})
	return out, err
}

func deleteAccessLogSubscription(c *call) (any, error) {
	id, err := c.param("accessLogSubscriptionIdentifier", model.TypeAccessLogSubscription)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteAccessLogSubscription", c.arn(id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		a, _, err := load[model.AccessLogSubscription](c, tx, id)
		if err != nil {
			return err
		}
		if err := del(tx, model.KindAccessLogSubscription, a.ID); err != nil {
			return err
		}
		return deleteOwned(tx, a.ID)
	})
	return nil, err
}
