package policy

import "testing"

func TestSmoke(t *testing.T) {
	p := MustParse(`{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": ["arn:aws:iam::123456789012:role/rolename"]},
    "Action": "vpc-lattice-svcs:Invoke",
    "Resource": ["arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/*"],
    "Condition": {"StringEquals": {"vpc-lattice-svcs:RequestMethod": "GET"}}
  }]
}`, Options{Kind: KindResource})
	pr, err := ParsePrincipal("arn:aws:sts::123456789012:assumed-role/rolename/s1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := NewContext(4)
	ctx.Set("vpc-lattice-svcs:RequestMethod", "GET")
	r := &Request{Principal: pr, Action: "vpc-lattice-svcs:Invoke", Resource: "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-0123456789abcdef0/orders", ResourceAccount: "123456789012", Context: ctx}
	res := p.Evaluate(r)
	t.Log(res)
	set := &Set{Resource: p}
	t.Log(set.Evaluate(r))
	ctx.Set("vpc-lattice-svcs:RequestMethod", "POST")
	e := set.Explain(r)
	t.Logf("%+v", e)
	n := testing.AllocsPerRun(100, func() { p.Evaluate(r) })
	t.Log("allocs", n)
	for _, d := range Validate([]byte(`{"Statement":[{"effect":"Allow","Action":"s3","Resource":"arn:aws:s3","Condition":{"StringEqual":{"aws:SourceIpp":"x"}}}]}`), Options{}) {
		t.Log(d)
	}
}
