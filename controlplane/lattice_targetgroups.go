package controlplane

import (
	"encoding/json"
	"errors"
	"sort"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/store"
)

type targetGroupOut struct {
	Arn           string                   `json:"arn,omitempty"`
	Config        *model.TargetGroupConfig `json:"config,omitempty"`
	CreatedAt     *awsTime                 `json:"createdAt,omitempty"`
	ID            string                   `json:"id,omitempty"`
	IPAddressType string                   `json:"ipAddressType,omitempty"`
	LastUpdatedAt *awsTime                 `json:"lastUpdatedAt,omitempty"`
	Name          string                   `json:"name,omitempty"`
	Port          *int                     `json:"port,omitempty"`
	Protocol      string                   `json:"protocol,omitempty"`
	ServiceArns   []string                 `json:"serviceArns,omitempty"`
	Status        string                   `json:"status,omitempty"`
	Type          model.TargetGroupType    `json:"type,omitempty"`
	VPCIdentifier string                   `json:"vpcIdentifier,omitempty"`
}

func tgShort(tg *model.TargetGroup, status string) targetGroupOut {
	return targetGroupOut{Arn: tg.ARN, Config: &tg.Config, ID: tg.ID, Name: tg.Name, Status: status, Type: tg.Type}
}

// serviceARNsOf returns the ARNs of the services whose rules forward to a
// target group.
func (c *call) serviceARNsOf(tx store.ReadTx, tg *model.TargetGroup) ([]string, error) {
	refs, err := listAll(tx, kindTGRef, tg.ID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var arns []string
	for _, r := range refs {
		var svc string
		json.Unmarshal(r.Body, &svc)
		if svc != "" && !seen[svc] {
			seen[svc] = true
			arns = append(arns, model.NewARN(c.api.region, tg.Account, model.TypeService, svc))
		}
	}
	sort.Strings(arns)
	return arns, nil
}

func createTargetGroup(c *call) (any, error) {
	var in struct {
		Name        string                   `json:"name"`
		Type        model.TargetGroupType    `json:"type"`
		Config      *model.TargetGroupConfig `json:"config"`
		ClientToken string                   `json:"clientToken"`
		Tags        map[string]string        `json:"tags"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	pattern := c.pattern(model.TypeTargetGroup)
	if err := c.authorize("CreateTargetGroup", pattern); err != nil {
		return nil, err
	}
	if err := c.authorizeTags(in.Tags, pattern); err != nil {
		return nil, err
	}
	token := in.ClientToken
	in.ClientToken = ""
	var v model.Validator
	if v.Required("name", in.Name != "") {
		v.Name("name", in.Name, model.TargetGroupNameRule)
	}
	v.Merge(model.NormalizeTargetGroup(in.Type, in.Config))
	if token != "" {
		v.ClientToken("clientToken", token)
	}
	v.Tags("tags", in.Tags)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash := requestHash(c.op.Name, nil, in)
	var out any
	err := c.update(func(tx store.Tx) error {
		if resp, ok, err := c.replay(tx, token, hash); err != nil || ok {
			out = resp
			return err
		}
		n, err := tx.Count(model.KindTargetGroup, c.caller.Account)
		if err != nil {
			return err
		}
		if q := c.api.quotas.TargetGroupsPerRegion; q.Exceeded(n) {
			return errQuota(q, "")
		}
		id, err := c.api.newID(model.TypeTargetGroup)
		if err != nil {
			return err
		}
		tg := model.TargetGroup{
			Meta: model.Meta{ID: id, ARN: model.NewARN(c.api.region, c.caller.Account, model.TypeTargetGroup, id),
				Account: c.caller.Account, CreatedAt: c.now, LastUpdatedAt: c.now},
			Name: in.Name, Type: in.Type, Config: *in.Config,
		}
		if err := create(tx, model.KindTargetGroup, id, c.caller.Account, tg.Name, tg, model.TypeTargetGroup); err != nil {
			return err
		}
		if err := c.saveTags(tx, id, tg.ARN, in.Tags); err != nil {
			return err
		}
		resp := tgShort(&tg, statusActive)
		out = resp
		return c.remember(tx, token, hash, resp)
	})
	return out, err
}

func getTargetGroup(c *call) (any, error) {
	id, err := c.param("targetGroupIdentifier", model.TypeTargetGroup)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("GetTargetGroup", c.arn(id)); err != nil {
		return nil, err
	}
	var out targetGroupOut
	err = c.view(func(tx store.ReadTx) error {
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		out = tgShort(tg, statusActive)
		out.CreatedAt, out.LastUpdatedAt = tsp(tg.CreatedAt), tsp(tg.LastUpdatedAt)
		out.ServiceArns, err = c.serviceARNsOf(tx, tg)
		return err
	})
	return out, err
}

func listTargetGroups(c *call) (any, error) {
	q := c.r.URL.Query()
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	tgType := model.TargetGroupType(q.Get("targetGroupType"))
	vpc := q.Get("vpcIdentifier")
	var v model.Validator
	if tgType != "" {
		v.Enum("targetGroupType", string(tgType), "IP", "LAMBDA", "INSTANCE", "ALB")
	}
	if vpc != "" {
		v.VPCID("vpcIdentifier", vpc)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := c.authorize("ListTargetGroups", "*"); err != nil {
		return nil, err
	}
	var out listPage[targetGroupOut]
	err = c.view(func(tx store.ReadTx) (err error) {
		out, err = readPage(tx, model.KindTargetGroup, c.caller.Account, p, func(tg *model.TargetGroup) (targetGroupOut, bool, error) {
			if tgType != "" && tg.Type != tgType || vpc != "" && tg.Config.VPCIdentifier != vpc {
				return targetGroupOut{}, false, nil
			}
			arns, err := c.serviceARNsOf(tx, tg)
			return targetGroupOut{Arn: tg.ARN, CreatedAt: tsp(tg.CreatedAt), ID: tg.ID,
				IPAddressType: tg.Config.IPAddressType, LastUpdatedAt: tsp(tg.LastUpdatedAt), Name: tg.Name,
				Port: tg.Config.Port, Protocol: tg.Config.Protocol, ServiceArns: arns, Status: statusActive,
				Type: tg.Type, VPCIdentifier: tg.Config.VPCIdentifier}, true, err
		})
		return err
	})
	return out, err
}

func updateTargetGroup(c *call) (any, error) {
	id, err := c.param("targetGroupIdentifier", model.TypeTargetGroup)
	if err != nil {
		return nil, err
	}
	var in struct {
		HealthCheck *model.HealthCheckConfig `json:"healthCheck"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("UpdateTargetGroup", c.arn(id)); err != nil {
		return nil, err
	}
	if in.HealthCheck == nil {
		return nil, errField("healthCheck", "is required")
	}
	var out targetGroupOut
	err = c.update(func(tx store.Tx) error {
		tg, rec, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		if err := model.NormalizeHealthCheck("healthCheck", in.HealthCheck, tg.Config.Protocol); err != nil {
			return err
		}
		tg.Config.HealthCheck = in.HealthCheck
		tg.LastUpdatedAt = c.now
		if err := put(tx, rec, tg); err != nil {
			return err
		}
		out = tgShort(tg, statusActive)
		return nil
	})
	return out, err
}

func deleteTargetGroup(c *call) (any, error) {
	id, err := c.param("targetGroupIdentifier", model.TypeTargetGroup)
	if err != nil {
		return nil, err
	}
	if err := c.authorize("DeleteTargetGroup", c.arn(id)); err != nil {
		return nil, err
	}
	var out targetGroupOut
	err = c.update(func(tx store.Tx) error {
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		if n, err := tx.Count(kindTGRef, tg.ID); err != nil {
			return err
		} else if n > 0 {
			return errConflict(model.TypeTargetGroup, tg.ID, "target group %s is used by %d listener rules; remove it from them first", tg.ID, n)
		}
		targets, err := listAll(tx, model.KindTarget, tg.ID)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if err := del(tx, model.KindTarget, t.ID); err != nil {
				return err
			}
		}
		if err := del(tx, model.KindTargetGroup, tg.ID); err != nil {
			return err
		}
		if err := deleteOwned(tx, tg.ID); err != nil {
			return err
		}
		out = targetGroupOut{Arn: tg.ARN, ID: tg.ID, Status: statusDeleteInProgress}
		return nil
	})
	return out, err
}

type targetIn struct {
	ID   string `json:"id"`
	Port *int   `json:"port"`
}

type targetOut struct {
	ID   string `json:"id"`
	Port *int   `json:"port,omitempty"`
}

type targetFailure struct {
	FailureCode    string `json:"failureCode"`
	FailureMessage string `json:"failureMessage"`
	ID             string `json:"id"`
	Port           *int   `json:"port,omitempty"`
}

type targetsResult struct {
	Successful   []targetOut     `json:"successful"`
	Unsuccessful []targetFailure `json:"unsuccessful"`
}

// Failure codes of RegisterTargets and DeregisterTargets.
const (
	failInvalidTarget = "InvalidTargetId"
	failInvalidPort   = "InvalidPort"
	failNotRegistered = "TargetNotRegistered"
)

// resolveTarget checks one target of a (de)registration against the target
// group and returns its canonical IP and port.
func resolveTarget(tg *model.TargetGroup, t targetIn) (ip string, port int, f *targetFailure) {
	ip, ok := model.ParseTargetIP(t.ID, tg.Config.IPAddressType)
	if !ok {
		return "", 0, &targetFailure{FailureCode: failInvalidTarget, ID: t.ID, Port: t.Port,
			FailureMessage: "the ID of a target of an " + tg.Config.IPAddressType + " IP target group must be an " + tg.Config.IPAddressType + " address"}
	}
	port = *tg.Config.Port
	if t.Port != nil {
		port = *t.Port
	}
	if port < 1 || port > 65535 {
		return "", 0, &targetFailure{FailureCode: failInvalidPort, ID: t.ID, Port: t.Port, FailureMessage: "the port must be between 1 and 65535"}
	}
	return ip, port, nil
}

func (c *call) targetsInput(action string) (ident, []targetIn, error) {
	id, err := c.param("targetGroupIdentifier", model.TypeTargetGroup)
	if err != nil {
		return id, nil, err
	}
	var in struct {
		Targets []targetIn `json:"targets"`
	}
	if err := c.decode(&in); err != nil {
		return id, nil, err
	}
	if err := c.authorize(action, c.arn(id)); err != nil {
		return id, nil, err
	}
	if len(in.Targets) < 1 || len(in.Targets) > 100 {
		return id, nil, errField("targets", "must list between 1 and 100 targets, got %d", len(in.Targets))
	}
	for i, t := range in.Targets {
		if t.ID == "" {
			return id, nil, errField("targets["+itoa(i)+"].id", "is required")
		}
	}
	return id, in.Targets, nil
}

func registerTargets(c *call) (any, error) {
	id, targets, err := c.targetsInput("RegisterTargets")
	if err != nil {
		return nil, err
	}
	out := targetsResult{Successful: []targetOut{}, Unsuccessful: []targetFailure{}}
	err = c.update(func(tx store.Tx) error {
		out.Successful, out.Unsuccessful = out.Successful[:0], out.Unsuccessful[:0]
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		n, err := tx.Count(model.KindTarget, tg.ID)
		if err != nil {
			return err
		}
		added := map[string]bool{}
		var fresh []model.Target
		for _, t := range targets {
			ip, port, f := resolveTarget(tg, t)
			if f != nil {
				out.Unsuccessful = append(out.Unsuccessful, *f)
				continue
			}
			key := model.TargetKey(tg.ID, ip, port)
			_, err := tx.Get(model.KindTarget, key)
			switch {
			case err == nil || added[key]:
			case errors.Is(err, store.ErrNotFound):
				added[key] = true
				fresh = append(fresh, model.Target{TargetGroupID: tg.ID, ID: ip, Port: port})
			default:
				return err
			}
			p := port
			out.Successful = append(out.Successful, targetOut{ID: ip, Port: &p})
		}
		if q := c.api.quotas.TargetsPerTargetGroup; q.Value > 0 && n+len(fresh) > q.Value {
			return errQuota(q, tg.ID)
		}
		for _, t := range fresh {
			if _, err := tx.Create(store.Record{Kind: model.KindTarget, ID: model.TargetKey(t.TargetGroupID, t.ID, t.Port),
				Parent: tg.ID, Body: mustJSON(t)}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

func deregisterTargets(c *call) (any, error) {
	id, targets, err := c.targetsInput("DeregisterTargets")
	if err != nil {
		return nil, err
	}
	out := targetsResult{Successful: []targetOut{}, Unsuccessful: []targetFailure{}}
	err = c.update(func(tx store.Tx) error {
		out.Successful, out.Unsuccessful = out.Successful[:0], out.Unsuccessful[:0]
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		for _, t := range targets {
			ip, port, f := resolveTarget(tg, t)
			if f != nil {
				out.Unsuccessful = append(out.Unsuccessful, *f)
				continue
			}
			err := tx.Delete(model.KindTarget, model.TargetKey(tg.ID, ip, port), 0)
			if errors.Is(err, store.ErrNotFound) {
				out.Unsuccessful = append(out.Unsuccessful, targetFailure{FailureCode: failNotRegistered, ID: t.ID, Port: t.Port,
					FailureMessage: "the target is not registered with target group " + tg.ID})
				continue
			}
			if err != nil {
				return err
			}
			p := port
			out.Successful = append(out.Successful, targetOut{ID: ip, Port: &p})
		}
		return nil
	})
	return out, err
}

// Target statuses: trellis does not probe targets (yet), so a target of a
// target group that a service uses is UNAVAILABLE ("health checks are
// unavailable"), and one of a target group no service uses is UNUSED.
const (
	targetUnused      = "UNUSED"
	targetUnavailable = "UNAVAILABLE"
)

func listTargets(c *call) (any, error) {
	id, err := c.param("targetGroupIdentifier", model.TypeTargetGroup)
	if err != nil {
		return nil, err
	}
	p, err := c.page()
	if err != nil {
		return nil, err
	}
	var in struct {
		Targets []targetIn `json:"targets"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := c.authorize("ListTargets", c.arn(id)); err != nil {
		return nil, err
	}
	if len(in.Targets) > 20 {
		return nil, errField("targets", "may list at most 20 targets, got %d", len(in.Targets))
	}
	type summary struct {
		ID         string `json:"id"`
		Port       int    `json:"port"`
		ReasonCode string `json:"reasonCode,omitempty"`
		Status     string `json:"status"`
	}
	type listOut struct {
		Items     []summary `json:"items"`
		NextToken *string   `json:"nextToken,omitempty"`
	}
	out := listOut{Items: []summary{}}
	err = c.view(func(tx store.ReadTx) error {
		tg, _, err := load[model.TargetGroup](c, tx, id)
		if err != nil {
			return err
		}
		used, err := tx.Count(kindTGRef, tg.ID)
		if err != nil {
			return err
		}
		status, reason := targetUnused, "TargetGroupNotInUse"
		if used > 0 {
			status, reason = targetUnavailable, "HealthChecksNotPerformed"
		}
		recs, next, err := list(tx, model.KindTarget, tg.ID, p)
		if err != nil {
			return err
		}
		targets, err := decodeAll[model.Target](recs)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if len(in.Targets) > 0 && !targetSelected(tg, t, in.Targets) {
				continue
			}
			out.Items = append(out.Items, summary{ID: t.ID, Port: t.Port, ReasonCode: reason, Status: status})
		}
		out.NextToken = nextp(next)
		return nil
	})
	return out, err
}

func targetSelected(tg *model.TargetGroup, t *model.Target, filter []targetIn) bool {
	for _, f := range filter {
		ip, ok := model.ParseTargetIP(f.ID, tg.Config.IPAddressType)
		if ok && ip == t.ID && (f.Port == nil || *f.Port == t.Port) {
			return true
		}
	}
	return false
}
