package controlplane

import (
	"errors"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type ruleOut struct {
	Action        *model.RuleAction `json:"action,omitempty"`
	Arn           string            `json:"arn,omitempty"`
	CreatedAt     *awsTime          `json:"createdAt,omitempty"`
	ID            string            `json:"id,omitempty"`
	IsDefault     *bool             `json:"isDefault,omitempty"`
	LastUpdatedAt *awsTime          `json:"lastUpdatedAt,omitempty"`
	Match         *model.RuleMatch  `json:"match,omitempty"`
	Name          string            `json:"name,omitempty"`
	Priority      *int              `json:"priority,omitempty"`
}

func ruleFull(r *model.Rule) ruleOut {
	o := ruleOut{Action: &r.Action, Arn: r.ARN, CreatedAt: tsp(r.CreatedAt), ID: r.ID, IsDefault: &r.IsDefault,
		LastUpdatedAt: tsp(r.LastUpdatedAt), Match: r.Match, Name: r.Name}
	if !r.IsDefault {
		p := r.Priority
		o.Priority = &p
	}
	return o
}

func (c *call) ruleIdents() (svc, l, r ident, err error) {
	if svc, l, err = c.listenerIdents(); err != nil {
		return
	}
	r, err = c.param("ruleIdentifier", model.TypeRule)
	return
}

// loadRule reads a rule of the listener of the path.
func (c *call) loadRule(tx store.ReadTx, l *model.Listener, rID ident) (*model.Rule, store.Record, error) {
	r, rec, err := load[model.Rule](c, tx, rID)
	if err != nil {
		return nil, rec, err
	}
	if r.ListenerID != l.ID || rID.arn != nil && rID.arn.ListenerID != l.ID {
		return nil, rec, errNotFound(model.TypeRule, rID.id)
	}
	return r, rec, nil
}

// listenerRules reads every rule of a listener.
func listenerRules(tx store.ReadTx, listenerID string) ([]*model.Rule, error) {
	recs, err := listAll(tx, model.KindRule, listenerID)
	if err != nil {
		return nil, err
	}
	return decodeAll[model.Rule](recs)
}

func validatePriority(v *model.Validator, field string, p int) {
	v.IntRange(field, p, model.MinRulePriority, model.MaxRulePriority)
}

func createRule(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	var in struct {
		Name        string            `json:"name"`
		Priority    *int              `json:"priority"`
		Match       *model.RuleMatch  `json:"match"`
		Action      *model.RuleAction `json:"action"`
		ClientToken string            `json:"clientToken"`
		Tags        map[string]string `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	pattern := c.arn(lID, svcID.id) + "/rule/*"
	if err := c.authorize("CreateRule", pattern); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, pattern); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("name", in.Name != "") {
		v.Name("name", in.Name, model.RuleNameRule)
	}
	if v.Required("priority", in.Priority != nil) {
		validatePriority(&v, "priority", *in.Priority)
	}
	if v.Required("match", in.Match != nil) {
		v.Merge(in.Match.Validate("match"))
	}
	if v.Required("action", in.Action != nil) {
		v.Merge(in.Action.Validate("action"))
	}
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash := requestHash(c.op.Name, map[string]string{"service": svcID.id, "listener": lID.id}, in)
	var out any
	err = c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		svc, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		if l.Protocol == model.ListenerTLSPassthrough {
			return errValidation(model.ReasonOther, "TLS_PASSTHROUGH listeners have only a default rule; listener %s cannot have other rules", l.ID)
		}
		rules, err := listenerRules(tx, l.ID)
		if err != nil {
			return err
		}
		if q := c.api.quotas.RulesPerListener; q.Exceeded(len(rules) - 1) {
			return errQuota(q, l.ID)
		}
		for _, r := range rules {
			if !r.IsDefault && r.Priority == *in.Priority {
				return errConflict(model.TypeRule, r.ID, "rule %s of listener %s already has priority %d", r.ID, l.ID, r.Priority)
			}
		}
		action := *in.Action
		if err := c.resolveAction(tx, "action", &action, svc.ID, l.Protocol); err != nil {
			return err
		}
		id, err := c.api.newID(model.TypeRule)
		if err != nil {
			return err
		}
		if err := c.checkTargetGroupsPerService(tx, svc.ID, id, action.TargetGroupIDs()); err != nil {
			return err
		}
		r := model.Rule{
			Meta: model.Meta{ID: id, ARN: model.RuleARN(c.api.region, c.caller.Account, svc.ID, l.ID, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			ServiceID: svc.ID, ListenerID: l.ID, Name: in.Name, Priority: *in.Priority, Match: in.Match, Action: action,
		}
		if err := create(tx, model.KindRule, id, l.ID, r.Name, r, model.TypeRule); err != nil {
			return err
		}
		if err := setRefs(tx, id, svc.ID, nil, action.TargetGroupIDs()); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, r.ARN, in.Tags); err != nil {
			return err
		}
		p := r.Priority
		resp := ruleOut{Action: &r.Action, Arn: r.ARN, ID: r.ID, Match: r.Match, Name: r.Name, Priority: &p}
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getRule(c *call) (any, error) {
	svcID, lID, rID, err := c.ruleIdents()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetRule", c.arn(rID, svcID.id, lID.id)); err != nil {
		return nil, err
	}
	var out ruleOut
	err = c.view(func(tx store.ReadTx) error {
		_, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		r, _, err := c.loadRule(tx, l, rID)
		if err != nil {
			return err
		}
		out = ruleFull(r)
		return nil
	})
	return out, err
}

func listRules(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("ListRules", c.arn(lID, svcID.id)); err != nil {
		return nil, err
	}
	var out listPage[ruleOut]
	err = c.view(func(tx store.ReadTx) error {
		_, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		out, err = readPage(tx, model.KindRule, l.ID, p, func(r *model.Rule) (ruleOut, bool, error) {
			o := ruleFull(r)
			o.Action, o.Match = nil, nil
			return o, true, nil
		})
		return err
	})
	return out, err
}

// ruleChange is one update of a rule: UpdateRule, or an item of
// BatchUpdateRule.
type ruleChange struct {
	RuleIdentifier string            `json:"ruleIdentifier,omitempty"`
	Action         *model.RuleAction `json:"action,omitempty"`
	Match          *model.RuleMatch  `json:"match,omitempty"`
	Priority       *int              `json:"priority,omitempty"`
}

func (ch *ruleChange) validate(prefix string) error {
	var v model.Validator
	if ch.Priority != nil {
		validatePriority(&v, prefix+"priority", *ch.Priority)
	}
	if ch.Match != nil {
		v.Merge(ch.Match.Validate(prefix + "match"))
	}
	if ch.Action != nil {
		v.Merge(ch.Action.Validate(prefix + "action"))
	}
	return v.Err()
}

// applyChange applies a validated change to a copy of r, resolving target
// groups; it checks everything but priority uniqueness.
func (c *call) applyChange(tx store.ReadTx, svc *model.Service, l *model.Listener, r *model.Rule, ch *ruleChange, prefix string) (*model.Rule, error) {
	if r.IsDefault {
		return nil, errValidation(model.ReasonOther, "rule %s is the default rule of listener %s; change it with UpdateListener", r.ID, l.ID)
	}
	n := *r
	if ch.Action != nil {
		action := *ch.Action
		if err := c.resolveAction(tx, prefix+"action", &action, svc.ID, l.Protocol); err != nil {
			return nil, err
		}
		if err := c.checkTargetGroupsPerService(tx, svc.ID, r.ID, action.TargetGroupIDs()); err != nil {
			return nil, err
		}
		n.Action = action
	}
	if ch.Match != nil {
		n.Match = ch.Match
	}
	if ch.Priority != nil {
		n.Priority = *ch.Priority
	}
	n.LastUpdatedAt = c.now
	return &n, nil
}

// saveRule stores a changed rule and its target group references.
func saveRule(tx store.Tx, old, now *model.Rule) error {
	rec, err := tx.Get(model.KindRule, now.ID)
	if err != nil {
		return err
	}
	if err := put(tx, rec, now); err != nil {
		return err
	}
	return setRefs(tx, now.ID, now.ServiceID, old.Action.TargetGroupIDs(), now.Action.TargetGroupIDs())
}

func updateRule(c *call) (any, error) {
	svcID, lID, rID, err := c.ruleIdents()
	if err != nil {
		return nil, err
	}
	var ch ruleChange
	if err := c.decode(&ch); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateRule", c.arn(rID, svcID.id, lID.id)); err != nil {
		return nil, err
	}
	if err := ch.validate(""); err != nil {
		return nil, err
	}
	var out ruleOut
	err = c.update(func(tx store.Tx) error {
		svc, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		r, _, err := c.loadRule(tx, l, rID)
		if err != nil {
			return err
		}
		n, err := c.applyChange(tx, svc, l, r, &ch, "")
		if err != nil {
			return err
		}
		if n.Priority != r.Priority {
			rules, err := listenerRules(tx, l.ID)
			if err != nil {
				return err
			}
			for _, o := range rules {
				if o.ID != r.ID && !o.IsDefault && o.Priority == n.Priority {
					return errConflict(model.TypeRule, o.ID, "rule %s of listener %s already has priority %d", o.ID, l.ID, o.Priority)
				}
			}
		}
		if err := saveRule(tx, r, n); err != nil {
			return err
		}
		out = ruleFull(n)
		out.CreatedAt, out.LastUpdatedAt = nil, nil
		return nil
	})
	return out, err
}

func batchUpdateRule(c *call) (any, error) {
	svcID, lID, err := c.listenerIdents()
	if err != nil {
		return nil, err
	}
	var in struct {
		Rules []ruleChange `json:"rules"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateRule", c.arn(lID, svcID.id)+"/rule/*"); err != nil {
		return nil, err
	}
	if len(in.Rules) < 1 || len(in.Rules) > model.MaxRuleUpdatesPerBatch {
		return nil, errField("rules", "must list between 1 and %d rule updates, got %d", model.MaxRuleUpdatesPerBatch, len(in.Rules))
	}
	type failure struct {
		FailureCode    string `json:"failureCode"`
		FailureMessage string `json:"failureMessage"`
		RuleIdentifier string `json:"ruleIdentifier"`
	}
	type batchOut struct {
		Successful   []ruleOut `json:"successful"`
		Unsuccessful []failure `json:"unsuccessful"`
	}
	out := batchOut{Successful: []ruleOut{}, Unsuccessful: []failure{}}
	fail := func(ident string, err error) {
		e, _ := toAPIError(err)
		out.Unsuccessful = append(out.Unsuccessful, failure{FailureCode: e.Type, FailureMessage: e.Message, RuleIdentifier: ident})
	}
	err = c.update(func(tx store.Tx) error {
		out.Successful, out.Unsuccessful = out.Successful[:0], out.Unsuccessful[:0]
		svc, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		rules, err := listenerRules(tx, l.ID)
		if err != nil {
			return err
		}
		byID := make(map[string]*model.Rule, len(rules))
		for _, r := range rules {
			byID[r.ID] = r
		}
		type pending struct {
			ident    string
			old, now *model.Rule
		}
		var changes []*pending
		seen := map[string]bool{}
		for i := range in.Rules {
			ch := &in.Rules[i]
			prefix := "rules[" + itoa(i) + "]."
			rID, err := parseIdent(prefix+"ruleIdentifier", model.TypeRule, ch.RuleIdentifier)
			if err != nil {
				fail(ch.RuleIdentifier, err)
				continue
			}
			if err := ch.validate(prefix); err != nil {
				fail(ch.RuleIdentifier, err)
				continue
			}
			r, ok := byID[rID.id]
			if !ok || rID.arn != nil && (rID.arn.ListenerID != l.ID || rID.arn.Account != c.caller.Account || rID.arn.Region != c.api.region) {
				fail(ch.RuleIdentifier, errNotFound(model.TypeRule, rID.id))
				continue
			}
			if seen[r.ID] {
				fail(ch.RuleIdentifier, errValidation(model.ReasonOther, "rule %s is updated twice in one batch", r.ID))
				continue
			}
			seen[r.ID] = true
			n, err := c.applyChange(tx, svc, l, r, ch, prefix)
			if err != nil {
				fail(ch.RuleIdentifier, err)
				continue
			}
			changes = append(changes, &pending{ident: ch.RuleIdentifier, old: r, now: n})
		}
		// Priorities are checked on the state after the whole batch, so that
		// a batch can swap the priorities of two rules. A change whose
		// priority collides is dropped, until the rest is consistent.
		for {
			final := make(map[string]int, len(byID))
			for id, r := range byID {
				if !r.IsDefault {
					final[id] = r.Priority
				}
			}
			for _, p := range changes {
				final[p.now.ID] = p.now.Priority
			}
			owner := map[int][]string{}
			for id, pr := range final {
				owner[pr] = append(owner[pr], id)
			}
			dropped := false
			for i, p := range changes {
				if ids := owner[p.now.Priority]; len(ids) > 1 {
					other := ids[0]
					if other == p.now.ID {
						other = ids[1]
					}
					fail(p.ident, errConflict(model.TypeRule, other, "priority %d would also be used by rule %s", p.now.Priority, other))
					changes = append(changes[:i], changes[i+1:]...)
					dropped = true
					break
				}
			}
			if !dropped {
				break
			}
		}
		for _, p := range changes {
			if err := saveRule(tx, p.old, p.now); err != nil {
				return err
			}
			o := ruleFull(p.now)
			o.CreatedAt, o.LastUpdatedAt = nil, nil
			out.Successful = append(out.Successful, o)
		}
		return nil
	})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return nil, err
		}
		return nil, err
	}
	return out, nil
}

func deleteRule(c *call) (any, error) {
	svcID, lID, rID, err := c.ruleIdents()
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteRule", c.arn(rID, svcID.id, lID.id)); err != nil {
		return nil, err
	}
	err = c.update(func(tx store.Tx) error {
		_, l, _, err := c.loadListener(tx, svcID, lID)
		if err != nil {
			return err
		}
		r, _, err := c.loadRule(tx, l, rID)
		if err != nil {
			return err
		}
		if r.IsDefault {
			return errValidation(model.ReasonOther, "rule %s is the default rule of listener %s and cannot be deleted; delete the listener instead", r.ID, l.ID)
		}
		return deleteRuleTx(tx, r)
	})
	return nil, err
}
