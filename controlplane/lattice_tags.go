package controlplane

import (
	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

// taggable reads the resource a tagging operation names by ARN.
func (c *call) taggable() (ident, error) {
	s := c.params["resourceArn"]
	a, err := model.ParseResourceARN(s)
	if err != nil {
		return ident{}, errField("resourceArn", "must be the ARN of a VPC Lattice resource, got %q", s)
	}
	return ident{t: a.Type, id: a.ID, arn: &a}, nil
}

// loadTaggable checks that the resource exists and is the caller's.
func (c *call) loadTaggable(tx store.ReadTx, id ident) error {
	var m struct {
		model.Meta
		ServiceID  string `json:"serviceId"`
		ListenerID string `json:"listenerId"`
	}
	_, found, err := getBody(tx, model.KindOf(id.t), id.id, &m)
	if err != nil {
		return err
	}
	if !found || !c.owned(&m.Meta, id) ||
		id.t == model.TypeListener && m.ServiceID != id.arn.ServiceID ||
		id.t == model.TypeRule && (m.ServiceID != id.arn.ServiceID || m.ListenerID != id.arn.ListenerID) {
		return errNotFound(id.t, id.id)
	}
	return nil
}

func tagResource(c *call) (any, error) {
	id, err := c.taggable()
	if err != nil {
		return nil, err
	}
	var in struct {
		Tags map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("TagResource", c.arn(id)); err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, errField("tags", "is required")
	}
	if err := c.validateTags("tags", in.Tags); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		if err := c.loadTaggable(tx, id); err != nil {
			return err
		}
		var t model.Tags
		rec, found, err := getBody(tx, model.KindTags, id.id, &t)
		if err != nil {
			return err
		}
		if t.Tags == nil {
			t = model.Tags{ResourceID: id.id, ResourceARN: id.arn.String(), Account: c.caller.Account, Tags: map[string]string{}}
		}
		for k, v := range in.Tags {
			t.Tags[k] = v
		}
		if len(t.Tags) > model.MaxTagsPerResource {
			return errField("tags", "a resource may have at most %d tags; it would have %d", model.MaxTagsPerResource, len(t.Tags))
		}
		if found {
			return put(tx, rec, t)
		}
		return c.saveTags(tx, id.id, t.ResourceARN, t.Tags)
	})
	return struct{}{}, err
}

func untagResource(c *call) (any, error) {
	id, err := c.taggable()
	if err != nil {
		return nil, err
	}
	keys := c.r.URL.Query()["tagKeys"]
	if err := c.authorize("UntagResource", c.arn(id)); err != nil {
		return nil, err
	}
	if len(keys) > 200 {
		return nil, errField("tagKeys", "may list at most 200 keys, got %d", len(keys))
	}
	var v model.Validator
	for i, k := range keys {
		v.Length("tagKeys["+itoa(i)+"]", k, 1, 128)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		if err := c.loadTaggable(tx, id); err != nil {
			return err
		}
		var t model.Tags
		rec, found, err := getBody(tx, model.KindTags, id.id, &t)
		if err != nil || !found {
			return err
		}
		for _, k := range keys {
			delete(t.Tags, k)
		}
		if len(t.Tags) == 0 {
			return del(tx, model.KindTags, id.id)
		}
		return put(tx, rec, t)
	})
	return struct{}{}, err
}

func listTagsForResource(c *call) (any, error) {
	id, err := c.taggable()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListTagsForResource", c.arn(id)); err != nil {
		return nil, err
	}
	type listOut struct {
		Tags map[string]string `json:"tags"`
	}
	out := listOut{Tags: map[string]string{}}
	err = c.view(func(tx store.ReadTx) error {
		if err := c.loadTaggable(tx, id); err != nil {
			return err
		}
		var t model.Tags
		if _, found, err := getBody(tx, model.KindTags, id.id, &t); err != nil || !found {
			return err
		}
		out.Tags = t.Tags
		return nil
	})
	return out, err
}
