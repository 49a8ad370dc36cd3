package model

// TargetGroupsInUse returns the IDs of the target groups that a listener's
// default action or a listener rule forwards to, sorted: the target groups
// requests can reach, whose targets VPC Lattice checks.
func (s *Snapshot) TargetGroupsInUse() []string {
	seen := map[string]bool{}
	add := func(a RuleAction) {
		if a.Forward == nil {
			return
		}
		for _, w := range a.Forward.TargetGroups {
			if id, _, ok := ParseIdentifier(TypeTargetGroup, w.TargetGroupIdentifier); ok {
				if _, exists := s.targetGroups[id]; exists {
					seen[id] = true
				}
			}
		}
	}
	for _, l := range s.listeners {
		add(l.DefaultAction)
	}
	for _, r := range s.rules {
		add(r.Action)
	}
	return sortedKeys(seen)
}
