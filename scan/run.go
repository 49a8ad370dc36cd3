package scan

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
)

// Options say how to run a scenario.
type Options struct {
	// Live sends real requests through an in-process gateway; otherwise
	// the calls are decided without sending anything.
	Live bool
	// Stages are the stages to run, by name or by position (from 1), in
	// the order given; empty means every stage.
	Stages []string
	// Logger receives the live gateway's operational messages; nil
	// discards them.
	Logger *slog.Logger
}

// A Report is the outcome of a run: per stage, what became of every call.
type Report struct {
	Scenario string `json:"scenario"`
	// Mode is "static" or "live".
	Mode string `json:"mode"`
	// StageCount is the number of stages of the scenario.
	StageCount int           `json:"stageCount"`
	Stages     []StageReport `json:"stages"`
}

// A StageReport is the outcome of the calls of one stage.
type StageReport struct {
	Stage string `json:"stage"`
	// Number is the stage's position in the scenario, from 1.
	Number      int      `json:"number"`
	Description string   `json:"description,omitempty"`
	Results     []Result `json:"results"`
}

// A Result is the outcome of one call.
type Result struct {
	Caller string `json:"caller"`
	Target string `json:"target"`
	// Route is the interface endpoint, the caller's VPC for a VPC Lattice
	// service, "internet", or "none" for a DNS name that resolves to no
	// endpoint of the caller's VPC.
	Route string `json:"route"`
	// Desired and Actual are "allow" or "block".
	Desired string `json:"desired"`
	Actual  string `json:"actual"`
	// Layer is "allowed" or the layer that stopped the call, with the
	// names of DESIGN.md.
	Layer string `json:"layer"`
	// OK is true when Actual is Desired.
	OK bool `json:"ok"`
	// Explanation is the decision's one-line diagnostic; for a live call
	// decided with the network model instead of being sent it starts with
	// "modelled".
	Explanation string `json:"explanation"`
	// Modelled marks a live call decided with the network model.
	Modelled bool `json:"-"`
}

// Passed returns how many of the stage's calls behaved as desired.
func (s *StageReport) Passed() int {
	n := 0
	for _, r := range s.Results {
		if r.OK {
			n++
		}
	}
	return n
}

// OK reports whether every call of every stage behaved as desired.
func (r *Report) OK() bool {
	for i := range r.Stages {
		if r.Stages[i].Passed() != len(r.Stages[i].Results) {
			return false
		}
	}
	return true
}

// Stage returns the index of a stage named, or numbered from 1, by name.
func (sc *Scenario) Stage(name string) (int, error) {
	for i, w := range sc.stages {
		if w.name == name {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 1 && n <= len(sc.stages) {
		return n - 1, nil
	}
	return 0, fmt.Errorf("scenario %s has no stage %q: its stages are %s (or their numbers, 1 to %d)", sc.Name, name, strings.Join(sc.StageNames(), ", "), len(sc.stages))
}

// Run runs the scenario's calls at the stages o selects. An error means
// the run could not be made (an unknown stage, or in a live run a listener
// that could not start or a call whose fate the gateway did not report);
// calls that do not behave as desired are in the Report, not errors.
func Run(ctx context.Context, sc *Scenario, o Options) (*Report, error) {
	idx := make([]int, 0, len(sc.stages))
	if len(o.Stages) == 0 {
		for i := range sc.stages {
			idx = append(idx, i)
		}
	}
	for _, name := range o.Stages {
		i, err := sc.Stage(name)
		if err != nil {
			return nil, err
		}
		idx = append(idx, i)
	}
	rep := &Report{Scenario: sc.Name, Mode: "static", StageCount: len(sc.stages)}
	var lr *liveRun
	if o.Live {
		rep.Mode = "live"
		var err error
		if lr, err = startLive(sc, o.Logger); err != nil {
			return nil, err
		}
		defer lr.close()
	}
	a := newAuthorizer()
	for _, i := range idx {
		w := sc.stages[i]
		sr := StageReport{Stage: w.name, Number: i + 1, Description: w.description}
		var outs []outcome
		if lr != nil {
			var err error
			if outs, err = lr.stage(ctx, w); err != nil {
				return nil, fmt.Errorf("stage %s: %w", w.name, err)
			}
		} else {
			for _, c := range w.calls {
				outs = append(outs, decideStatic(a, w.state, c))
			}
		}
		for j, c := range w.calls {
			sr.Results = append(sr.Results, result(c, outs[j]))
		}
		rep.Stages = append(rep.Stages, sr)
	}
	return rep, nil
}

// result reports one call's outcome.
func result(c *plannedCall, o outcome) Result {
	r := Result{Caller: c.call.Caller, Target: c.call.Target, Route: c.route(), Desired: c.call.Desired,
		Actual: Block, Layer: o.layer, Explanation: o.explanation, Modelled: o.modelled}
	if o.allowed {
		r.Actual = Allow
	}
	r.OK = r.Actual == r.Desired
	return r
}
