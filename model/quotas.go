package model

// ServiceCode is the serviceCode of VPC Lattice's ServiceQuotaExceededException.
const ServiceCode = "vpc-lattice"

// A Quota is one adjustable service quota: its current value and the code
// the Service Quotas console gives it.
type Quota struct {
	// Name is the quota's name in the VPC Lattice User Guide.
	Name string
	// Code is the Service Quotas code, such as "L-620C821E".
	Code string
	// Value is the limit. Zero or less means no limit.
	Value int
	// ResourceType is the type of resource the quota counts.
	ResourceType ResourceType
}

// Exceeded reports whether adding one more resource to count existing ones
// would exceed the quota.
func (q Quota) Exceeded(count int) bool { return q.Value > 0 && count >= q.Value }

// Quotas are the service quotas trellis enforces. The defaults are VPC
// Lattice's (Quotas for Amazon VPC Lattice, VPC Lattice User Guide); every
// value can be changed.
type Quotas struct {
	ServiceNetworksPerRegion             Quota
	ServicesPerRegion                    Quota
	TargetGroupsPerRegion                Quota
	ListenersPerService                  Quota
	RulesPerListener                     Quota
	TargetsPerTargetGroup                Quota
	TargetGroupsPerService               Quota
	ServiceAssociationsPerServiceNetwork Quota
	VPCAssociationsPerServiceNetwork     Quota
}

// DefaultQuotas returns VPC Lattice's default quotas. They apply per account
// (and, in trellis, to the one region a control plane serves).
func DefaultQuotas() Quotas {
	return Quotas{
		ServiceNetworksPerRegion:             Quota{"Service networks per region", "L-9CAD07FB", 50, TypeServiceNetwork},
		ServicesPerRegion:                    Quota{"Services per region", "L-620C821E", 2000, TypeService},
		TargetGroupsPerRegion:                Quota{"Target groups per region", "L-BB11C6B9", 500, TypeTargetGroup},
		ListenersPerService:                  Quota{"Listeners per service", "L-D64E952E", 2, TypeListener},
		RulesPerListener:                     Quota{"Rules per listener", "L-CF78395E", 10, TypeRule},
		TargetsPerTargetGroup:                Quota{"Targets per target group", "L-D71303F3", 1000, TypeTargetGroup},
		TargetGroupsPerService:               Quota{"Target groups per service", "L-3DEC3B9F", 10, TypeTargetGroup},
		ServiceAssociationsPerServiceNetwork: Quota{"Service associations per service network", "L-75D4A19E", 500, TypeServiceNetworkServiceAssociation},
		VPCAssociationsPerServiceNetwork:     Quota{"VPC associations per service network", "L-EF6E2D62", 500, TypeServiceNetworkVPCAssociation},
	}
}
