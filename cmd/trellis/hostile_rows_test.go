package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trellisproject/trellis/gateway"
)

const cpHost = "localhost"

// hostileRows returns the rows of TestHostileInputs.
func hostileRows() []hostileRow {
	var rows []hostileRow
	add := func(r hostileRow) { rows = append(rows, r) }

	// The VPC Lattice API: bodies that are not a CreateService request.
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	for name, body := range map[string]string{
		"truncated JSON":           `{"name":"abc"`,
		"JSON array":               `[]`,
		"JSON string":              `"svc"`,
		"JSON null":                `null`,
		"name is a number":         `{"name":1}`,
		"name is an object":        `{"name":{"a":"b"}}`,
		"domain is a number":       `{"name":"abc","customDomainName":7}`,
		"name with a space":        `{"name":"a b"}`,
		"name of 10000 bytes":      `{"name":"` + strings.Repeat("a", 10000) + `"}`,
		"deeply nested tags":       `{"name":"abc","tags":` + deep + `}`,
		"invalid UTF-8 name":       "{\"name\":\"ab\xff\xfe\"}",
		"NUL in the name":          "{\"name\":\"ab\x00c\"}",
		"escaped NUL in the name":  `{"name":"ab\u0000c"}`,
		"unknown auth type":        `{"name":"abc","authType":"ROOT"}`,
		"tag value is a number":    `{"name":"abc","tags":{"k":1}}`,
		"huge number":              `{"name":"abc","clientToken":1e999999}`,
		"trailing garbage":         `{"name":"abc"} {"name":"def"}`,
		"empty body":               ``,
		"201 tags":                 `{"name":"abc","tags":{` + manyTags(201) + `}}`,
		"domain with a slash":      `{"name":"abc","customDomainName":"a.example.com/../b"}`,
		"certificate ARN injected": `{"name":"abc","certificateArn":"arn:aws:acm:us-east-1:000000000000:certificate/../../x"}`,
		"body over the limit":      `{"name":"abc","tags":{"k":"` + strings.Repeat("v", 1<<20) + `"}}`,
	} {
		add(hostileRow{name: "lattice-api/CreateService/" + name, to: controlPlane, status: 400, shape: latticeJSON,
			req: func(e *hostileEnv) []byte {
				return e.signed("POST", "/services", cpHost, "vpc-lattice", e.region, e.now, body)
			}})
	}

	// The VPC Lattice API: identifiers that try to escape their path.
	for name, path := range map[string]string{
		"encoded slash dot-dot":          "/services/..%2f..%2fservicenetworks",
		"encoded dots":                   "/services/%2e%2e",
		"double-encoded dots":            "/services/%252e%252e%252fservicenetworks",
		"plain dot-dot":                  "/services/../servicenetworks",
		"encoded NUL":                    "/services/svc-0123456789abcdef0%00",
		"ARN with dot-dot":               "/services/arn:aws:vpc-lattice:us-east-1:000000000000:service%2f..%2f..%2fsvc-0123456789abcdef0",
		"ARN of another account":         "/services/arn:aws:vpc-lattice:us-east-1:999999999999:service%2fsvc-0123456789abcdef0",
		"ARN with an encoded colon":      "/services/arn%3Aaws%3Avpc-lattice%3Aus-east-1%3A000000000000%3Aservice%2Fsvc-0123456789abcdef0",
		"identifier of 5000 bytes":       "/services/" + strings.Repeat("a", 5000),
		"invalid UTF-8 identifier":       "/services/svc-%ff%fe",
		"backslash":                      "/services/..%5c..%5cservicenetworks",
		"overlong UTF-8 dot":             "/services/%c0%ae%c0%ae",
		"auth policy of a traversal":     "/authpolicy/..%2f..%2fservices",
		"listener under a traversal":     "/services/%2e%2e/listeners",
		"target group with encoded NULs": "/targetgroups/tg-%00%00",
	} {
		// Only well-formed identifiers are looked up (and not found);
		// the others fail validation.
		status := 400
		if strings.HasPrefix(name, "ARN of") || strings.HasPrefix(name, "ARN with an") {
			status = 404
		}
		add(hostileRow{name: "lattice-api/GET/" + name, to: controlPlane, status: status, shape: latticeJSON,
			req: func(e *hostileEnv) []byte {
				return e.signed("GET", path, cpHost, "vpc-lattice", e.region, e.now, "")
			}})
	}

	// The native configuration API: documents that are not valid. Every
	// row is a dry run, so that no row can replace the configuration.
	for name, body := range map[string]string{
		"truncated JSON":       `{"version":`,
		"JSON array":           `[1,2,3]`,
		"wrong type":           `{"lattice":"yes"}`,
		"unknown section":      `{"root":{"admin":true}}`,
		"deep nesting":         `{"lattice":` + deep + `}`,
		"invalid UTF-8":        "{\"lattice\":{\"services\":[{\"name\":\"\xff\"}]}}",
		"NUL byte":             "{\"lattice\":{\"services\":[{\"name\":\"a\x00\"}]}}",
		"huge number":          `{"version":1e999999}`,
		"body over the limit":  `{"x":"` + strings.Repeat("x", 1<<20) + `"}`,
		"trailing document":    `{} {}`,
		"YAML instead of JSON": "lattice:\n  services: []\n",
	} {
		status := 400
		if name == "body over the limit" {
			status = 413
		}
		add(hostileRow{name: "native-api/" + name, to: controlPlane, status: status, shape: nativeJSON,
			req: func(e *hostileEnv) []byte {
				return e.signed("POST", "/trellis/v1/configuration?dryRun=true", cpHost, "trellis", e.region, e.now, body)
			}})
	}
	add(hostileRow{name: "native-api/traversal out of /trellis", to: controlPlane, status: 404, shape: nativeJSON,
		req: func(e *hostileEnv) []byte {
			return e.signed("GET", "/trellis/v1/configuration/..%2f..%2f..%2fservices", cpHost, "trellis", e.region, e.now, "")
		}})
	add(hostileRow{name: "native-api/unsigned", to: controlPlane, status: 403, shape: nativeJSON,
		req: func(e *hostileEnv) []byte { return raw("GET", "/trellis/v1/configuration", cpHost, nil, "") }})
	add(hostileRow{name: "native-api/signed for vpc-lattice", to: controlPlane, status: 403, shape: nativeJSON,
		req: func(e *hostileEnv) []byte {
			return e.signed("GET", "/trellis/v1/configuration", cpHost, "vpc-lattice", e.region, e.now, "")
		}})

	// STS: bad parameters.
	for name, form := range map[string]string{
		"unknown action":              "Action=CreateUser&Version=2011-06-15",
		"no action":                   "Version=2011-06-15",
		"AssumeRole without a role":   "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s",
		"AssumeRole with a bad ARN":   "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/../../user/admin",
		"duration not a number":       "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/r&DurationSeconds=abc",
		"duration overflows":          "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/r&DurationSeconds=99999999999999999999999",
		"negative duration":           "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/r&DurationSeconds=-5",
		"NUL in the session name":     "Action=AssumeRole&Version=2011-06-15&RoleSessionName=a%00b&RoleArn=arn:aws:iam::000000000000:role/r",
		"invalid UTF-8 session name":  "Action=AssumeRole&Version=2011-06-15&RoleSessionName=a%ff&RoleArn=arn:aws:iam::000000000000:role/r",
		"session name of 5000 bytes":  "Action=AssumeRole&Version=2011-06-15&RoleSessionName=" + strings.Repeat("a", 5000) + "&RoleArn=arn:aws:iam::000000000000:role/r",
		"session policy not JSON":     "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/r&Policy=%7B",
		"session policy deeply nests": "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s&RoleArn=arn:aws:iam::000000000000:role/r&Policy=" + url.QueryEscape(`{"Statement":`+deep[:20000]+`}`),
		"bad percent encoding":        "Action=GetCallerIdentity&Version=2011-06-15&x=%zz",
		"wrong version":               "Action=GetCallerIdentity&Version=1999-01-01",
	} {
		add(hostileRow{name: "sts/" + name, to: controlPlane, status: 400, shape: stsXML,
			req: func(e *hostileEnv) []byte {
				return e.signed("POST", "/", cpHost, "sts", e.region, e.now, form)
			}})
	}
	add(hostileRow{name: "sts/body over the limit", to: controlPlane, status: 413, shape: stsXML,
		req: func(e *hostileEnv) []byte {
			return e.signed("POST", "/", cpHost, "sts", e.region, e.now, "Action=GetCallerIdentity&Version=2011-06-15&Pad="+strings.Repeat("p", 300<<10))
		}})
	// The query protocol reads the first of repeated parameters, as
	// url.Values.Get does; the signature covers them all.
	add(hostileRow{name: "sts/two actions", to: controlPlane, status: 200, shape: success,
		req: func(e *hostileEnv) []byte {
			return e.signed("POST", "/", cpHost, "sts", e.region, e.now, "Action=GetCallerIdentity&Action=AssumeRole&Version=2011-06-15")
		}})
	add(hostileRow{name: "sts/unsigned", to: controlPlane, status: 403, shape: stsXML,
		req: func(e *hostileEnv) []byte {
			return raw("POST", "/", cpHost, []string{"Content-Type: application/x-www-form-urlencoded"}, "Action=GetCallerIdentity&Version=2011-06-15")
		}})

	// Signatures that must not be accepted, on every surface that
	// verifies them.
	type target struct {
		name, method, path, host, service, body string
		to                                      surface
		shape                                   errShape
	}
	targets := []target{
		{"lattice-api", "GET", "/services", cpHost, "vpc-lattice", "", controlPlane, latticeJSON},
		{"native-api", "GET", "/trellis/v1/configuration", cpHost, "trellis", "", controlPlane, nativeJSON},
		{"sts", "POST", "/", cpHost, "sts", "Action=GetCallerIdentity&Version=2011-06-15", controlPlane, stsXML},
		{"lattice-ingress", "GET", "/invoices", hostileLatticeSvc, gateway.SigningService, "", latticeIngress, gatewayText},
		{"endpoint-ingress", "GET", hostileAPIPath, "", gateway.APISigningService, "", endpointIngress, apigwJSON},
	}
	// STS answers 400 to expired and malformed signatures, as AWS's
	// common errors list; the other surfaces answer 403.
	type sigCase struct {
		name   string
		sts400 bool
		build  func(e *hostileEnv, tg target, host string) []byte
	}
	sigCases := []sigCase{
		{"replayed: signed 20 minutes ago", true, func(e *hostileEnv, tg target, host string) []byte {
			return e.signed(tg.method, tg.path, host, tg.service, e.region, e.now.Add(-20*time.Minute), tg.body)
		}},
		{"signed 20 minutes in the future", true, func(e *hostileEnv, tg target, host string) []byte {
			return e.signed(tg.method, tg.path, host, tg.service, e.region, e.now.Add(20*time.Minute), tg.body)
		}},
		{"signed a year ago", true, func(e *hostileEnv, tg target, host string) []byte {
			return e.signed(tg.method, tg.path, host, tg.service, e.region, e.now.AddDate(-1, 0, 0), tg.body)
		}},
		{"scope of another region", false, func(e *hostileEnv, tg target, host string) []byte {
			return e.signed(tg.method, tg.path, host, tg.service, "eu-west-1", e.now, tg.body)
		}},
		{"scope of another service", false, func(e *hostileEnv, tg target, host string) []byte {
			return e.signed(tg.method, tg.path, host, "s3", e.region, e.now, tg.body)
		}},
		{"valid signature for another host", false, func(e *hostileEnv, tg target, host string) []byte {
			b := e.signed(tg.method, tg.path, "other.example.com", tg.service, e.region, e.now, tg.body)
			return []byte(strings.Replace(string(b), "Host: other.example.com", "Host: "+host, 1))
		}},
		{"signature altered", false, func(e *hostileEnv, tg target, host string) []byte {
			b := string(e.signed(tg.method, tg.path, host, tg.service, e.region, e.now, tg.body))
			i := strings.Index(b, "Signature=") + len("Signature=")
			flip := "0"
			if b[i] == '0' {
				flip = "1"
			}
			return []byte(b[:i] + flip + b[i+1:])
		}},
		{"path altered after signing", false, func(e *hostileEnv, tg target, host string) []byte {
			b := string(e.signed(tg.method, tg.path, host, tg.service, e.region, e.now, tg.body))
			return []byte(strings.Replace(b, " "+tg.path+" ", " "+tg.path+"?x=1 ", 1))
		}},
		{"unknown access key", false, func(e *hostileEnv, tg target, host string) []byte {
			e2 := *e
			e2.creds.AccessKeyID = "AKIAXXXXXXXXXXXXXXXX"
			return e2.signed(tg.method, tg.path, host, tg.service, e.region, e.now, tg.body)
		}},
		{"malformed Authorization", true, func(e *hostileEnv, tg target, host string) []byte {
			return raw(tg.method, tg.path, host, []string{"Authorization: AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", "X-Amz-Date: " + e.now.UTC().Format("20060102T150405Z")}, tg.body)
		}},
		{"two Authorization headers", true, func(e *hostileEnv, tg target, host string) []byte {
			b := string(e.signed(tg.method, tg.path, host, tg.service, e.region, e.now, tg.body))
			i := strings.Index(b, "Authorization: ")
			j := strings.Index(b[i:], "\r\n") + i
			return []byte(b[:j+2] + "Authorization: AWS4-HMAC-SHA256 Credential=AKIAXXXXXXXXXXXXXXXX/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n" + b[j+2:])
		}},
		{"garbage X-Amz-Date", true, func(e *hostileEnv, tg target, host string) []byte {
			b := string(e.signed(tg.method, tg.path, host, tg.service, e.region, e.now, tg.body))
			d := e.now.UTC().Format("20060102T150405Z")
			return []byte(strings.Replace(b, "X-Amz-Date: "+d, "X-Amz-Date: yesterday", 1))
		}},
	}
	for _, tg := range targets {
		for _, sc := range sigCases {
			status := 403
			if sc.sts400 && tg.name == "sts" {
				status = 400
			}
			add(hostileRow{name: tg.name + "/signature/" + sc.name, to: tg.to, status: status, shape: tg.shape,
				req: func(e *hostileEnv) []byte {
					host := tg.host
					if host == "" {
						host = e.apiHost
					}
					return sc.build(e, tg, host)
				}})
		}
	}

	// Identity, network and API selection taken from client headers.
	forged := map[string]string{
		"lattice identity":  gateway.HeaderIdentity + ": Principal=arn:aws:iam::000000000000:user/admin; Type=AWS_IAM",
		"lattice network":   "X-Amzn-Lattice-Network: SourceVpcArn=arn:aws:ec2:us-east-1:000000000000:vpc/vpc-0a1b2c3d4e5f60718",
		"source VPC":        gateway.HeaderSourceVPC + ": vpc-0a1b2c3d4e5f60718",
		"X-Forwarded-For":   "X-Forwarded-For: 10.199.0.20",
		"X-Real-IP":         "X-Real-Ip: 10.199.0.20",
		"Forwarded":         "Forwarded: for=10.199.0.20;proto=https",
		"X-Forwarded-Proto": "X-Forwarded-Proto: https",
		"API ID":            "X-Apigw-Api-Id: svcbapi001",
		"VPC endpoint ID":   "X-Amzn-Vpce-Id: vpce-aaaa0001",
		"security token":    "X-Amz-Security-Token: forged",
	}
	for name, h := range forged {
		add(hostileRow{name: "lattice-ingress/forged header, unsigned/" + name, to: latticeIngress, status: 403, shape: gatewayText,
			req: func(e *hostileEnv) []byte { return raw("GET", "/invoices", e.svcHost, []string{h}, "") }})
		if name != "security token" {
			add(hostileRow{name: "lattice-ingress/forged header, signed/" + name, to: latticeIngress, status: 200, shape: success, hits: true,
				req: func(e *hostileEnv) []byte {
					return e.signed("GET", "/invoices", e.svcHost, gateway.SigningService, e.region, e.now, "", h)
				}})
		}
	}
	// The endpoint admits 10.199.0.0/24 only: a caller from another
	// subnet cannot claim to be there with a header.
	for name, h := range forged {
		add(hostileRow{name: "endpoint-ingress/forged header, outside subnet/" + name, to: endpointIngress, status: 403, shape: apigwJSON,
			req: func(e *hostileEnv) []byte {
				// The API's resource policy admits 10.199.0.0/24; the
				// row's caller is 10.199.0.20, so the API ID header is
				// what is tested here: it must not select another API.
				return raw("GET", "/api/orders/1002", "unknown-api-vpce-aaaa0001.execute-api.us-east-1.vpce.amazonaws.com", []string{h}, "")
			}})
	}
	add(hostileRow{name: "endpoint-ingress/API ID of another API with the endpoint host", to: endpointIngress, status: 403, shape: apigwJSON,
		req: func(e *hostileEnv) []byte {
			return raw("GET", hostileAPIPath, "vpce-aaaa0001.execute-api.us-east-1.vpce.amazonaws.com", []string{"X-Apigw-Api-Id: nosuchapi01"}, "")
		}})

	// Paths that try to escape their service or API.
	for _, p := range []string{
		"/invoices/..%2f..%2fadmin", "/%2e%2e/%2e%2e/etc/passwd", "/%252e%252e%252f", "/invoices%00.json",
		"/..;/admin", "/%c0%ae%c0%ae/", "//evil.example.com/", "/invoices/%ff%fe",
	} {
		// A path with a . or .. segment once decoded is refused before
		// any policy (400); the others are denied by them (403).
		status := 403
		if strings.Contains(p, "%2f..") || strings.Contains(p, "%2e%2e/") || strings.Contains(p, "/..;/") {
			status = 400
		}
		add(hostileRow{name: "lattice-ingress/unsigned path " + p, to: latticeIngress, status: status, shape: gatewayText,
			req: func(e *hostileEnv) []byte { return raw("GET", p, e.svcHost, nil, "") }})
		add(hostileRow{name: "endpoint-ingress/path " + p, to: endpointIngress, status: status, shape: apigwJSON,
			req: func(e *hostileEnv) []byte { return raw("GET", "/api"+p, e.apiHost, nil, "") }})
	}

	// Request shapes that HTTP servers and proxies disagree on.
	type smuggle struct {
		name    string
		status  int
		shape   errShape
		headers []string
		body    string
		line    string // replaces the request line when set
	}
	smuggles := []smuggle{
		{name: "two Host headers", status: 400, shape: httpServer, headers: []string{"Host: other.example.com"}},
		// net/http follows RFC 9112: Transfer-Encoding wins and the
		// rest is the next request on a connection the client closes.
		{name: "Content-Length and Transfer-Encoding",
			headers: []string{"Content-Length: 4", "Transfer-Encoding: chunked"}, body: "0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n"},
		{name: "two different Content-Lengths", status: 400, shape: httpServer, headers: []string{"Content-Length: 1", "Content-Length: 2"}, body: "ab"},
		{name: "Transfer-Encoding: chunked twice", status: 501, shape: httpServer, headers: []string{"Transfer-Encoding: chunked", "Transfer-Encoding: chunked"}, body: "0\r\n\r\n"},
		{name: "Transfer-Encoding with a space before the colon", status: 400, shape: httpServer, headers: []string{"Transfer-Encoding : chunked"}, body: "0\r\n\r\n"},
		{name: "negative Content-Length", status: 400, shape: httpServer, headers: []string{"Content-Length: -1"}},
		{name: "header of 70000 bytes", status: 431, shape: httpServer, headers: []string{"X-Pad: " + strings.Repeat("p", 70000)}},
		{name: "NUL in a header value", status: 400, shape: httpServer, headers: []string{"X-Bad: a\x00b"}},
		{name: "obsolete line folding", headers: []string{"X-Folded: a", " b"}},
		{name: "header name with a space", status: 400, shape: httpServer, headers: []string{"X Bad: a"}},
		{name: "bare LF line ending", headers: []string{"X-A: a\nX-B: b"}},
		{name: "invalid method", status: 400, shape: httpServer, line: "G(T / HTTP/1.1"},
		{name: "HTTP/2 version on a HTTP/1 line", status: 505, shape: httpServer, line: "GET / HTTP/2.0"},
		{name: "request line with a space in the path", status: 400, shape: httpServer, line: "GET /a b HTTP/1.1"},
	}
	hostOf := func(e *hostileEnv, to surface) string {
		switch to {
		case latticeIngress:
			return e.svcHost
		case endpointIngress:
			return e.apiHost
		}
		return cpHost
	}
	for _, to := range []surface{controlPlane, latticeIngress, endpointIngress} {
		for _, s := range smuggles {
			status, shape := s.status, s.shape
			if status == 0 {
				// Accepted by net/http, and denied by trellis: "/" is
				// STS on the control plane, unsigned and no API method
				// on the ingresses.
				status, shape = 403, [...]errShape{stsXML, gatewayText, apigwJSON}[to]
			}
			add(hostileRow{name: [...]string{"control-plane", "lattice-ingress", "endpoint-ingress"}[to] + "/smuggling/" + s.name, to: to, status: status, shape: shape,
				req: func(e *hostileEnv) []byte {
					b := string(raw("GET", "/", hostOf(e, to), s.headers, s.body))
					if s.line != "" {
						b = s.line + b[strings.Index(b, "\r\n"):]
					}
					return []byte(b)
				}})
		}
	}
	// An absolute URI names the host the request is for, whatever the
	// Host header says.
	add(hostileRow{name: "lattice-ingress/absolute URI for an unknown host", to: latticeIngress, status: 404, shape: gatewayText,
		req: func(e *hostileEnv) []byte { return raw("GET", "http://evil.example.com/invoices", e.svcHost, nil, "") }})
	add(hostileRow{name: "lattice-ingress/HTTP/1.0 without Host", to: latticeIngress, status: 404, shape: gatewayText,
		req: func(e *hostileEnv) []byte { return []byte("GET /invoices HTTP/1.0\r\n\r\n") }})
	add(hostileRow{name: "lattice-ingress/Host with userinfo", to: latticeIngress, status: 400, shape: httpServer,
		req: func(e *hostileEnv) []byte { return raw("GET", "/invoices", "admin@"+e.svcHost, nil, "") }})
	add(hostileRow{name: "lattice-ingress/unsigned 10 GB Content-Length, no body", to: latticeIngress, status: 403, shape: gatewayText,
		req: func(e *hostileEnv) []byte {
			return raw("POST", "/invoices", e.svcHost, []string{"Content-Length: 10737418240"}, "")
		}})
	add(hostileRow{name: "lattice-ingress/unsigned Expect: 100-continue", to: latticeIngress, status: 403, shape: gatewayText,
		req: func(e *hostileEnv) []byte {
			return raw("POST", "/invoices", e.svcHost, []string{"Expect: 100-continue", "Content-Length: 5"}, "")
		}})
	add(hostileRow{name: "lattice-ingress/signed body over the verifier's limit", to: latticeIngress, status: 413, shape: gatewayText,
		req: func(e *hostileEnv) []byte {
			return e.signed("POST", "/invoices", e.svcHost, gateway.SigningService, e.region, e.now, strings.Repeat("b", 11<<20))
		}})
	add(hostileRow{name: "control-plane/unsigned Lattice API call", to: controlPlane, status: 403, shape: latticeJSON,
		req: func(e *hostileEnv) []byte { return raw("GET", "/services", cpHost, nil, "") }})
	add(hostileRow{name: "control-plane/method not allowed", to: controlPlane, status: 400, shape: latticeJSON,
		req: func(e *hostileEnv) []byte {
			return e.signed("PATCH", "/services", cpHost, "vpc-lattice", e.region, e.now, "")
		}})
	add(hostileRow{name: "control-plane/unknown path", to: controlPlane, status: 400, shape: latticeJSON,
		req: func(e *hostileEnv) []byte {
			return e.signed("GET", "/"+fmt.Sprint(http.StatusTeapot), cpHost, "vpc-lattice", e.region, e.now, "")
		}})
	return rows
}

// manyTags returns n distinct tags as JSON object members.
func manyTags(n int) string {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	return strings.Join(t, ",")
}
