package controlplane

import (
	"encoding/json"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type listenerOut struct {
	Arn           string                 `json:"arn,omitempty"`
	CreatedAt     *awsTime               `json:"createdAt,omitempty"`
	DefaultAction *model.RuleAction      `json:"defaultAction,omitempty"`
	ID            string                 `json:"id,omitempty"`
	LastUpdatedAt *awsTime               `json:"lastUpdatedAt,omitempty"`
	Name          string                 `json:"name,omitempty"`
	Port          int                    `json:"port,omitempty"`
	Protocol      model.ListenerProtocol `json:"protocol,omitempty"`
	ServiceArn    string                 `json:"serviceArn,omitempty"`
	ServiceID     string                 `json:"serviceId,omitempty"`
}

func listenerShort(l *model.Listener) listenerOut {
	return listenerOut{Arn: l.ARN, DefaultAction: &l.DefaultAction, ID: l.ID, Name: l.Name, Port: l.Port,
		Protocol: l.Protocol, ServiceArn: l.ServiceARN, ServiceID: l.ServiceID}
}

// serviceOf reads the service of the path, checking it is the caller's.
func (c *call) serviceOf(tx store.ReadTx) (*model.Service, error) {
	id, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	svc, _, err := load[model.Service](c, tx, id)
	return svc, err
}

// listenerIdents parses the service and listener of the path.
func (c *call) listenerIdents() (svc, l ident, err error) {
	if svc, err = c.param("serviceIdentifier", model.TypeService); err != nil {
		return
	}
	l, err = c.param("listenerIdentifier", model.TypeListener)
	return
}

// loadListener reads the listener of the path, which must belong to the
// service of the path.
func (c *call) loadListener(tx store.ReadTx, svcID, lID ident) (*model.Service, *model.Listener, store.Record, error) {
	svc, _, err := load[model.Service](c, tx, svcID)
	if err != nil {
		return nil, nil, store.Record{}, err
	}
	l, rec, err := load[model.Listener](c, tx, lID)
	if err != nil {
		return nil, nil, rec, err
	}
	if l.ServiceID != svc.ID || lID.arn != nil && lID.arn.ServiceID != svc.ID {
		return nil, nil, rec, errNotFound(model.TypeListener, lID.id)
	}
	return svc, l, rec, nil
}

func validateListenerProtocol(v *model.Validator, p model.ListenerProtocol) {
	if v.Required("protocol", p != "") {
		v.Enum("protocol", string(p), string(model.ListenerHTTP), string(model.ListenerHTTPS), string(model.ListenerTLSPassthrough))
	}
}

// resolveAction checks the target groups of an action against the
// listener's protocol and the service, and rewrites their identifiers to
// IDs. A target group can only be used by a single service.
func (c *call) resolveAction(tx store.ReadTx, field string, a *model.RuleAction, svcID string, proto model.ListenerProtocol) error {
	if proto == model.ListenerTLSPassthrough && a.FixedResponse != nil {
		return errField(field+".fixedResponse", "TLS_PASSTHROUGH listeners can only forward to TCP target groups")
	}
	if a.Forward == nil {
		return nil
	}
	for i := range a.Forward.TargetGroups {
		w := &a.Forward.TargetGroups[i]
		id, err := parseIdent(field+".forward.targetGroups["+itoa(i)+"].targetGroupIdentifier", model.TypeTargetGroup, w.TargetGroupIdentifier)
		if err != nil {
			return err
		}
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		w.TargetGroupIdentifier = tg.ID
		tcp := tg.Config.Protocol == model.ProtocolTCP
		if tcp != (proto == model.ListenerTLSPassthrough) {
			return errField(field+".forward.targetGroups["+itoa(i)+"].targetGroupIdentifier",
				"a %s listener cannot forward to %s target group %s", proto, tg.Config.Protocol, tg.ID)
		}
		refs, err := listAll(tx, kindTGRef, tg.ID)
		if err != nil {
			return err
		}
		for _, r := range refs {
			var other string
			json.Unmarshal(r.Body, &other)
			if other != svcID {
				return errConflict(model.TypeTargetGroup, tg.ID,
					"target group %s is already used by service %s; a target group can only be used by a single service", tg.ID, other)
			}
		}
	}
	return nil
}

// setRefs records which target groups a rule forwards to, replacing what it
// forwarded to before.
func setRefs(tx store.Tx, ruleID, svcID string, old, now []string) error {
	for _, tg := range old {
		if err := del(tx, kindTGRef, tg+"/"+ruleID); err != nil {
			return err
		}
	}
	for _, tg := range now {
		if _, err := tx.Create(store.Record{Kind: kindTGRef, ID: tg + "/" + ruleID, Parent: tg, Body: mustJSON(svcID)}); err != nil {
			return err
		}
	}
	return nil
}

// checkTargetGroupsPerService enforces the quota of target groups one
// service may use, with rule ruleID forwarding to tgs.
func (c *call) checkTargetGroupsPerService(tx store.ReadTx, svcID, ruleID string, tgs []string) error {
	q := c.api.quotas.TargetGroupsPerService
	if q.Value <= 0 {
		return nil
	}
	used := map[string]bool{}
	for _, tg := range tgs {
		used[tg] = true
	}
	listeners, err := listAll(tx, model.KindListener, svcID)
	if err != nil {
		return err
	}
	for _, l := range listeners {
		rules, err := listAll(tx, model.KindRule, l.ID)
		if err != nil {
			return err
		}
		rs, err := decodeAll[model.Rule](rules)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.ID == ruleID {
				continue
			}
			for _, tg := range r.Action.TargetGroupIDs() {
				used[tg] = true
			}
		}
	}
	if len(used) > q.Value {
		return errQuota(q, svcID)
	}
	return nil
}

func createListener(c *call) (any, error) {
	svcID, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	var in struct {
		Name          string                 `json:"name"`
		Protocol      model.ListenerProtocol `json:"protocol"`
		Port          *int                   `json:"port"`
		DefaultAction *model.RuleAction      `json:"defaultAction"`
		ClientToken   string                 `json:"clientToken"`
		Tags          map[string]string      `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	svcARN := c.arn(svcID)
	if err := c.authorize("CreateListener", svcARN+"/listener/*"); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, svcARN+"/listener/*"); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("name", in.Name != "") {
		v.Name("name", in.Name, model.ListenerNameRule)
	}
	validateListenerProtocol(&v, in.Protocol)
	if in.Port != nil {
		v.IntRange("port", *in.Port, 1, 65535)
	}
	if v.Required("defaultAction", in.DefaultAction != nil) {
		v.Merge(in.DefaultAction.Validate("defaultAction"))
	}
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.Port == nil {
		p := in.Protocol.DefaultPort()
		in.Port = &p
	}
	hash := requestHash(c.op.Name, map[string]string{"service": svcID.id}, in)
	var out any
	err = c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		svc, _, err := load[model.Service](c, tx, svcID)
		if err != nil {
			return err
		}
		existing, err := listAll(tx, model.KindListener, svc.ID)
		if err != nil {
			return err
		}
		if q := c.api.quotas.ListenersPerService; q.Exceeded(len(existing)) {
			return errQuota(q, svc.ID)
		}
		ls, err := decodeAll[model.Listener](existing)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l.Port == *in.Port {
				return errConflict(model.TypeListener, l.ID, "service %s already has listener %s on port %d", svc.ID, l.ID, l.Port)
			}
		}
		action := *in.DefaultAction
		if err := c.resolveAction(tx, "defaultAction", &action, svc.ID, in.Protocol); err != nil {
			return err
		}
		id, err := c.api.newID(model.TypeListener)
		if err != nil {
			return err
		}
		ruleID, err := c.api.newID(model.TypeRule)
		if err != nil {
			return err
		}
		if err := c.checkTargetGroupsPerService(tx, svc.ID, ruleID, action.TargetGroupIDs()); err != nil {
			return err
		}
		meta := func(id, arn string) model.Meta {
			return model.Meta{ID: id, ARN: arn, Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now}
		}
		l := model.Listener{
			Meta:      meta(id, model.ListenerARN(c.api.region, c.caller.Account, svc.ID, id)),
			ServiceID: svc.ID, ServiceARN: svc.ARN, Name: in.Name, Protocol: in.Protocol, Port: *in.Port,
			DefaultAction: action, DefaultRuleID: ruleID,
		}
		if err := create(tx, model.KindListener, id, svc.ID, l.Name, l, model.TypeListener); err != nil {
			return err
		}
		def := model.Rule{
			Meta:      meta(ruleID, model.RuleARN(c.api.region, c.caller.Account, svc.ID, id, ruleID)),
			ServiceID: svc.ID, ListenerID: id, Name: "default", IsDefault: true, Action: action,
		}
		if err := create(tx, model.KindRule, ruleID, id, "", def, model.TypeRule); err != nil {
			return err
		}
		if err := setRefs(tx, ruleID, svc.ID, nil, action.TargetGroupIDs()); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, l.ARN, in.Tags); err != nil {
			return err
		}
		resp := listenerShort(&l)
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getListener(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetListener", c.arn(lID, svcID.id)); err != nil {
		return nil, err
	}
	var out listenerOut
	err = c.view(func(tx store.ReadTx) error {
		_, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		out = listenerShort(l)
		out.CreatedAt, out.LastUpdatedAt = tsp(l.CreatedAt), tsp(l.LastUpdatedAt)
		return nil
	})
	return out, err
}

func listListeners(c *call) (any, error) {
	svcID, err := c.param("serviceIdentifier", model.TypeService)
	if err != nil {
		return nil, err
	}
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListListeners", c.arn(svcID)); err != nil {
		return nil, err
	}
	var out listPage[listenerOut]
	err = c.view(func(tx store.ReadTx) error {
		svc, _, err := load[model.Service](c, tx, svcID)
		if err != nil {
			return err
		}
		out, err = readPage(tx, model.KindListener, svc.ID, p, func(l *model.Listener) (listenerOut, bool, error) {
			return listenerOut{Arn: l.ARN, CreatedAt: tsp(l.CreatedAt), ID: l.ID,
				LastUpdatedAt: tsp(l.LastUpdatedAt), Name: l.Name, Port: l.Port, Protocol: l.Protocol}, true, nil
		})
		return err
	})
	return out, err
}

func updateListener(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	var in struct {
		DefaultAction *model.RuleAction `json:"defaultAction"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateListener", c.arn(lID, svcID.id)); err != nil {
		return nil, err
	}
	var v model.Validator
	if v.Required("defaultAction", in.DefaultAction != nil) {
		v.Merge(in.DefaultAction.Validate("defaultAction"))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out listenerOut
	err = c.update(func(tx store.Tx) error {
		svc, l, rec, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		action := *in.DefaultAction
		if err := c.resolveAction(tx, "defaultAction", &action, svc.ID, l.Protocol); err != nil {
			return err
		}
		if err := c.checkTargetGroupsPerService(tx, svc.ID, l.DefaultRuleID, action.TargetGroupIDs()); err != nil {
			return err
		}
		old := l.DefaultAction.TargetGroupIDs()
		l.DefaultAction = action
		l.LastUpdatedAt = c.now
		if err := put(tx, rec, l); err != nil {
			return err
		}
		def := new(model.Rule)
		drec, found, err := getBody(tx, model.KindRule, l.DefaultRuleID, def)
		if err != nil {
			return err
		}
		if found {
			def.Action = action
			def.LastUpdatedAt = c.now
			if err := put(tx, drec, def); err != nil {
				return err
			}
		}
		if err := setRefs(tx, l.DefaultRuleID, svc.ID, old, action.TargetGroupIDs()); err != nil {
			return err
		}
		out = listenerShort(l)
		return nil
	})
	return out, err
}

func deleteListener(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteListener", c.arn(lID, svcID.id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		_, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		return deleteListenerTx(tx, l.ID)
	})
	return nil, err
}

// deleteListenerTx deletes a listener with its rules, their target group
// references and their tags.
func deleteListenerTx(tx store.Tx, listenerID string) error {
	recs, err := listAll(tx, model.KindRule, listenerID)
	if err != nil {
		return err
	}
	rules, err := decodeAll[model.Rule](recs)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := deleteRuleTx(tx, r); err != nil {
			return err
		}
	}
	if err := del(tx, model.KindListener, listenerID); err != nil {
		return err
	}
	return deleteOwned(tx, listenerID)
}

func deleteRuleTx(tx store.Tx, r *model.Rule) error {
	if err := setRefs(tx, r.ID, r.ServiceID, r.Action.TargetGroupIDs(), nil); err != nil {
		return err
	}
	if err := del(tx, model.KindRule, r.ID); err != nil {
		return err
	}
	return deleteOwned(tx, r.ID)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
