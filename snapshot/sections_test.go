package snapshot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/trellisproject/trellis/model"
	"github.com/trellisproject/trellis/network"
	"github.com/trellisproject/trellis/snapshot"
	"github.com/trellisproject/trellis/store"
)

func sectionsNetwork() network.Config {
	return network.Config{
		VPCs:           []network.VPC{{ID: "vpc-cccc0001", Account: account, Region: "us-east-1", CIDRBlocks: []string{"10.20.0.0/16"}}},
		Subnets:        []network.Subnet{{ID: "subnet-cccc0001", VPC: "vpc-cccc0001", CIDR: "10.20.0.0/24", AvailabilityZone: "us-east-1a"}},
		RouteTables:    []network.RouteTable{{ID: "rtb-cccc0001", VPC: "vpc-cccc0001", Main: true}},
		NetworkACLs:    []network.NetworkACL{{ID: "acl-cccc0001", VPC: "vpc-cccc0001", Default: true}},
		SecurityGroups: []network.SecurityGroup{{ID: "sg-cccc0001", VPC: "vpc-cccc0001", Default: true}},
		InterfaceEndpoints: []network.InterfaceEndpoint{{ID: "vpce-cccc0001", VPC: "vpc-cccc0001", ServiceName: "com.amazonaws.us-east-1.execute-api",
			NetworkInterfaces: []network.EndpointInterface{{ID: "eni-cccc00e1", Subnet: "subnet-cccc0001", PrivateIP: "10.20.0.50"}}}},
	}
}

func sectionsAPIs(vpce string) model.APIsConfig {
	return model.APIsConfig{RestAPIs: []model.RestAPIConfig{{ID: "pets000001", Name: "pets", Account: account, Region: "us-east-1",
		EndpointType: "PRIVATE", VPCEndpointIDs: []string{vpce}, Stages: []model.StageConfig{{Name: "prod"}},
		Resources: []model.ResourceConfig{{Path: "/pets", Methods: []model.MethodConfig{{HTTPMethod: "GET", AuthorizationType: "NONE",
			Integration: model.IntegrationConfig{Type: "HTTP_PROXY", URI: "http://127.0.0.1:1/pets"}}}}}}}}
}

func writeSections(t *testing.T, st store.Store, nc network.Config, ac model.APIsConfig) uint64 {
	t.Helper()
	seq, err := st.Update(ctx, func(tx store.Tx) error {
		var n network.Config
		var a model.APIsConfig
		nv, err := snapshot.ReadSection(tx, snapshot.KindNetwork, &n)
		if err != nil {
			return err
		}
		av, err := snapshot.ReadSection(tx, snapshot.KindAPIs, &a)
		if err != nil {
			return err
		}
		if err := snapshot.WriteSection(tx, snapshot.KindNetwork, nc, nv); err != nil {
			return err
		}
		return snapshot.WriteSection(tx, snapshot.KindAPIs, ac, av)
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// TestNetworkAndAPIsSections: the state holds the network and the APIs of
// the stored sections; a stored pair that does not build never replaces a
// good state.
func TestNetworkAndAPIsSections(t *testing.T) {
	st := openStore(t)
	// Nothing stored: an empty network and no APIs.
	s, err := snapshot.Load(ctx, st, time.Now())
	if err != nil || s.Network == nil || s.APIs == nil {
		t.Fatalf("Load of an empty store: %+v, %v", s, err)
	}
	writeSections(t, st, sectionsNetwork(), sectionsAPIs("vpce-cccc0001"))
	m, err := snapshot.NewManager(ctx, st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	good := m.Current()
	if _, ok := good.APIs.API("pets000001"); !ok {
		t.Fatal("the API is not in the state")
	}
	if _, ok := good.Network.EndpointByID("vpce-cccc0001"); !ok {
		t.Fatal("the endpoint is not in the state")
	}
	writeSections(t, st, sectionsNetwork(), sectionsAPIs("vpce-dddd0001"))
	err = m.Refresh(ctx)
	if err == nil || !strings.Contains(err.Error(), "apis.restApis[0].vpcEndpointIds[0]: vpce-dddd0001 is not an interface endpoint of the network section") {
		t.Fatalf("Refresh: %v", err)
	}
	if m.Current() != good {
		t.Error("a configuration that does not build replaced the good one")
	}
}
