package orderhistory

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		status         int
		ids            []string
	}{
		{"GET", "/orders", 200, []string{"1001", "1002", "1003", "1004"}},
		{"GET", "/orders?customer=c-17", 200, []string{"1001", "1003"}},
		{"GET", "/orders/1002", 200, []string{"1002"}},
		{"GET", "/orders/9999", 404, nil},
		{"GET", "/ordersx", 404, nil},
		{"GET", "/", 404, nil},
		{"POST", "/orders", 405, nil},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(tt.method, tt.target, nil)
		r.Header.Set(IdentityHeader, "Type=Anonymous")
		h.ServeHTTP(rec, r)
		if rec.Code != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.target, rec.Code, tt.status)
			continue
		}
		if tt.status != http.StatusOK {
			continue
		}
		var res Response
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.Caller != "Type=Anonymous" {
			t.Errorf("%s: %v, caller %q", tt.target, err, res.Caller)
		}
		var ids []string
		for _, o := range res.Orders {
			ids = append(ids, o.ID)
		}
		if len(ids) != len(tt.ids) {
			t.Errorf("%s: orders %v, want %v", tt.target, ids, tt.ids)
			continue
		}
		for i := range ids {
			if ids[i] != tt.ids[i] {
				t.Errorf("%s: orders %v, want %v", tt.target, ids, tt.ids)
			}
		}
	}
}
