package model

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func decodeAction(t *testing.T, s string) *RuleAction {
	t.Helper()
	var a RuleAction
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

func TestRuleActionValidate(t *testing.T) {
	tg := func(i int) string {
		return `"tg-0123456789abcde` + string(rune('a'+i%26)) + string(rune('a'+i/26)) + `"`
	}
	many := make([]string, 11)
	for i := range many {
		many[i] = `{"targetGroupIdentifier":` + tg(i) + `,"weight":1}`
	}
	for _, tc := range []struct {
		name   string
		action string
		fields []string // the field list of the error; nil for valid
	}{
		{"forward one", `{"forward":{"targetGroups":[{"targetGroupIdentifier":"tg-0123456789abcdefg"}]}}`, nil},
		{"forward by ARN", `{"forward":{"targetGroups":[{"targetGroupIdentifier":"arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-0123456789abcdefg","weight":0}]}}`, nil},
		{"fixed", `{"fixedResponse":{"statusCode":404}}`, nil},
		{"both", `{"forward":{"targetGroups":[]},"fixedResponse":{"statusCode":404}}`, []string{"a"}},
		{"neither", `{}`, []string{"a"}},
		{"no groups", `{"forward":{"targetGroups":[]}}`, []string{"a.forward.targetGroups"}},
		{"eleven groups", `{"forward":{"targetGroups":[` + strings.Join(many, ",") + `]}}`, []string{"a.forward.targetGroups"}},
		{"ten groups", `{"forward":{"targetGroups":[` + strings.Join(many[:10], ",") + `]}}`, nil},
		{"weight 1000", `{"forward":{"targetGroups":[{"targetGroupIdentifier":"tg-0123456789abcdefg","weight":1000}]}}`, []string{"a.forward.targetGroups[0].weight"}},
		{"negative weight", `{"forward":{"targetGroups":[{"targetGroupIdentifier":"tg-0123456789abcdefg","weight":-1}]}}`, []string{"a.forward.targetGroups[0].weight"}},
		{"two without weights", `{"forward":{"targetGroups":[{"targetGroupIdentifier":` + tg(1) + `},{"targetGroupIdentifier":` + tg(2) + `,"weight":5}]}}`, []string{"a.forward.targetGroups[0].weight"}},
		{"twice", `{"forward":{"targetGroups":[{"targetGroupIdentifier":` + tg(1) + `,"weight":1},{"targetGroupIdentifier":` + tg(1) + `,"weight":1}]}}`, []string{"a.forward.targetGroups[1].targetGroupIdentifier"}},
		{"bad identifier", `{"forward":{"targetGroups":[{"targetGroupIdentifier":"svc-0123456789abcdefg"}]}}`, []string{"a.forward.targetGroups[0].targetGroupIdentifier"}},
		{"status 99", `{"fixedResponse":{"statusCode":99}}`, []string{"a.fixedResponse.statusCode"}},
		{"status 600", `{"fixedResponse":{"statusCode":600}}`, []string{"a.fixedResponse.statusCode"}},
		{"no status", `{"fixedResponse":{}}`, []string{"a.fixedResponse.statusCode"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := decodeAction(t, tc.action)
			err := a.Validate("a")
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("%v", err)
				}
				return
			}
			ve, ok := err.(*ValidationError)
			if !ok || len(ve.Fields) != len(tc.fields) {
				t.Fatalf("error %v, want fields %v", err, tc.fields)
			}
			for i, f := range tc.fields {
				if ve.Fields[i].Name != f {
					t.Errorf("field %d = %s, want %s", i, ve.Fields[i].Name, f)
				}
			}
		})
	}
	a := decodeAction(t, `{"forward":{"targetGroups":[{"targetGroupIdentifier":"tg-0123456789abcdefg"}]}}`)
	a.Validate("a")
	if *a.Forward.TargetGroups[0].Weight != DefaultSingleWeight || a.TargetGroupIDs()[0] != "tg-0123456789abcdefg" {
		t.Errorf("defaults: %+v", a.Forward.TargetGroups[0])
	}
}

func TestRuleMatchValidate(t *testing.T) {
	for _, tc := range []struct {
		name, match string
		ok          bool
	}{
		{"method", `{"httpMatch":{"method":"GET"}}`, true},
		{"empty http match", `{"httpMatch":{}}`, true},
		{"no http match", `{}`, false},
		{"long method", `{"httpMatch":{"method":"ABCDEFGHIJKLMNOPQ"}}`, false},
		{"method with space", `{"httpMatch":{"method":"GE T"}}`, false},
		{"exact path", `{"httpMatch":{"pathMatch":{"match":{"exact":"/a/b?c=d&e"}}}}`, true},
		{"prefix path", `{"httpMatch":{"pathMatch":{"match":{"prefix":"/"},"caseSensitive":false}}}`, true},
		{"both paths", `{"httpMatch":{"pathMatch":{"match":{"exact":"/a","prefix":"/a"}}}}`, false},
		{"no path", `{"httpMatch":{"pathMatch":{"match":{}}}}`, false},
		{"relative path", `{"httpMatch":{"pathMatch":{"match":{"exact":"a"}}}}`, false},
		{"path with space", `{"httpMatch":{"pathMatch":{"match":{"exact":"/a b"}}}}`, false},
		{"long path", `{"httpMatch":{"pathMatch":{"match":{"prefix":"/` + strings.Repeat("a", 200) + `"}}}}`, false},
		{"200 character path", `{"httpMatch":{"pathMatch":{"match":{"prefix":"/` + strings.Repeat("a", 199) + `"}}}}`, true},
		{"header", `{"httpMatch":{"headerMatches":[{"name":"x-a","match":{"contains":"b"},"caseSensitive":true}]}}`, true},
		{"no headers", `{"httpMatch":{"headerMatches":[]}}`, false},
		{"six headers", `{"httpMatch":{"headerMatches":[` + strings.Repeat(`{"name":"x","match":{"exact":"b"}},`, 5) + `{"name":"x","match":{"exact":"b"}}]}}`, false},
		{"five headers", `{"httpMatch":{"headerMatches":[` + strings.Repeat(`{"name":"x","match":{"exact":"b"}},`, 4) + `{"name":"x","match":{"exact":"b"}}]}}`, true},
		{"header without name", `{"httpMatch":{"headerMatches":[{"match":{"exact":"b"}}]}}`, false},
		{"header two matches", `{"httpMatch":{"headerMatches":[{"name":"x","match":{"exact":"b","prefix":"c"}}]}}`, false},
		{"header empty value", `{"httpMatch":{"headerMatches":[{"name":"x","match":{"exact":""}}]}}`, false},
		{"header long value", `{"httpMatch":{"headerMatches":[{"name":"x","match":{"exact":"` + strings.Repeat("v", 201) + `"}}]}}`, false},
	} {
		var m RuleMatch
		if err := json.Unmarshal([]byte(tc.match), &m); err != nil {
			t.Fatal(err)
		}
		if err := m.Validate("match"); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestRuleMatchMatches(t *testing.T) {
	m := func(s string) *RuleMatch {
		var m RuleMatch
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return &m
	}
	h := http.Header{"X-Tenant": {"Blue-Team"}, "Accept": {"text/html", "application/json"}}
	for _, tc := range []struct {
		match, method, path string
		want                bool
	}{
		{`{"httpMatch":{}}`, "GET", "/", true},
		{`{"httpMatch":{"method":"GET"}}`, "POST", "/", false},
		{`{"httpMatch":{"pathMatch":{"match":{"prefix":"/api"}}}}`, "GET", "/api/v1", true},
		{`{"httpMatch":{"pathMatch":{"match":{"prefix":"/api"}}}}`, "GET", "/API/v1", false},
		{`{"httpMatch":{"pathMatch":{"match":{"prefix":"/api"},"caseSensitive":false}}}`, "GET", "/API/v1", true},
		{`{"httpMatch":{"pathMatch":{"match":{"exact":"/api"}}}}`, "GET", "/api/", false},
		{`{"httpMatch":{"headerMatches":[{"name":"x-tenant","match":{"prefix":"blue"}}]}}`, "GET", "/", true},
		{`{"httpMatch":{"headerMatches":[{"name":"x-tenant","match":{"prefix":"blue"},"caseSensitive":true}]}}`, "GET", "/", false},
		{`{"httpMatch":{"headerMatches":[{"name":"accept","match":{"contains":"JSON"}}]}}`, "GET", "/", true},
		{`{"httpMatch":{"headerMatches":[{"name":"x-missing","match":{"exact":"a"}}]}}`, "GET", "/", false},
		{`{"httpMatch":{"method":"GET","headerMatches":[{"name":"x-tenant","match":{"exact":"blue-team"}}]}}`, "GET", "/", true},
	} {
		if got := m(tc.match).Matches(tc.method, tc.path, h); got != tc.want {
			t.Errorf("%s on %s %s = %v", tc.match, tc.method, tc.path, got)
		}
	}
}
