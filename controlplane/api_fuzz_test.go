package controlplane_test

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trellisproject/trellis/sigv4"
)

// signedRequest builds a request signed with an access key for service,
// or nil when the fuzzer's method or path cannot make one.
func signedRequest(t *testing.T, key, secret, service, method, path, contentType, body string) *http.Request {
	t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	req, err := http.NewRequest(method, "http://control.example.com"+path, strings.NewReader(body))
	if err != nil || req.URL.Host != "control.example.com" {
		return nil
	}
	req.Header.Set("Content-Type", contentType)
	s := sigv4.NewSigner(key, sigv4.Credential{SecretAccessKey: secret}, nil)
	if _, err := s.Sign(req, sigv4.SignOptions{Service: service, Region: testRegion}); err != nil {
		return nil
	}
	req.Body = http.NoBody
	if body != "" {
		req.Body = httptest.NewRequest(method, "/", strings.NewReader(body)).Body
	}
	return req
}

// FuzzLatticeAPI sends signed requests with arbitrary methods, paths and
// bodies to the VPC Lattice API: every answer must be a success or one of
// the API's error shapes, never a 500 or a panic.
func FuzzLatticeAPI(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "/services", `{"name":"orders","authType":"AWS_IAM"}`},
		{"POST", "/services", `{"name":"-bad-","authType":"MAYBE"}`},
		{"POST", "/servicenetworks", `{"name":"net","authType":"NONE","tags":{"a":"b"}}`},
		{"PATCH", "/services/svc-0123456789abcdefg", `{"authType":"NONE"}`},
		{"PUT", "/authpolicy/svc-0123456789abcdefg", `{"policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}"}`},
		{"GET", "/services?maxResults=0&nextToken=%00", ""},
		{"POST", "/targetgroups", `{"name":"tg","type":"IP","config":{"port":80,"protocol":"HTTP","vpcIdentifier":"vpc-01234567"}}`},
		{"POST", "/targetgroups/tg-0123456789abcdefg/registertargets", `{"targets":[{"id":"10.0.0.1","port":65536}]}`},
		{"POST", "/services/svc-0123456789abcdefg/listeners", `{"name":"l","protocol":"HTTP","defaultAction":{"fixedResponse":{"statusCode":404}}}`},
		{"DELETE", "/servicenetworkvpcassociations/snva-0123456789abcdefg", ""},
		{"POST", "/tags/arn%3Aaws%3Avpc-lattice%3Aus-west-2%3A111122223333%3Aservice%2Fsvc-0123456789abcdefg", `{"tags":{"k":"v"}}`},
		{"POST", "/services", `{"name":"x","authType":"NONE","tags":{"` + strings.Repeat("k", 300) + `":"v"}}`},
		{"POST", "/services", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		req := signedRequest(t, adminKey, testSecret, "vpc-lattice", method, path, "application/json", body)
		if req == nil {
			return
		}
		rec := httptest.NewRecorder()
		e.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var shape struct {
				Message *string `json:"message"`
			}
			if rec.Header().Get("X-Amzn-ErrorType") == "" || json.Unmarshal(rec.Body.Bytes(), &shape) != nil || shape.Message == nil {
				t.Fatalf("%s %s %q: %d without the error shape: %v %s", method, path, body, rec.Code, rec.Header(), rec.Body)
			}
		}
	})
}

// FuzzSTS sends signed query-protocol requests with arbitrary parameters
// to STS: every answer must be a result or AWS's XML error, never a 500.
func FuzzSTS(f *testing.F) {
	for _, s := range []string{
		"Action=GetCallerIdentity&Version=2011-06-15",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/plain&RoleSessionName=s",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::123456789012:role/plain&RoleSessionName=s&DurationSeconds=-1",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=&Tags.member.1.Key=a&Tags.member.3.Value=b",
		"Action=AssumeRole&Policy=%7B%22Version%22&PolicyArns.member.1.arn=arn:aws:iam::aws:policy/x",
		"Action=Nope",
		"%zz=1",
	} {
		f.Add(s)
	}
	e := newSTSEnv(f)
	f.Fuzz(func(t *testing.T, form string) {
		req := signedRequest(t, aliceKey, aliceSecret, "sts", "POST", "/", "application/x-www-form-urlencoded", form)
		if req == nil {
			return
		}
		rec := httptest.NewRecorder()
		e.srv.Config.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: %d %s", form, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			var shape struct {
				Error struct {
					Code    string `xml:"Code"`
					Message string `xml:"Message"`
				} `xml:"Error"`
			}
			if xml.Unmarshal(rec.Body.Bytes(), &shape) != nil || shape.Error.Code == "" {
				t.Fatalf("%q: %d without the XML error shape: %s", form, rec.Code, rec.Body)
			}
		}
	})
}
