// Package orderhistory is the zero-trust lab's backend: ServiceB's order
// history, a small read-only HTTP service over an embedded table of
// orders. It answers
//
//	GET /orders              every order, or those of ?customer=ID
//	GET /orders/{id}         one order, or 404
//
// with JSON, and says who called it as the gateway told it (the
// X-Amzn-Apigateway-Identity header), so that a lab can see which
// identity reached it.
package orderhistory

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
)

//go:embed orders.json
var ordersJSON []byte

// An Order is one row of the table.
type Order struct {
	ID       string `json:"id"`
	Customer string `json:"customer"`
	Placed   string `json:"placed"`
	Items    int    `json:"items"`
	Total    string `json:"total"`
}

// A Response is what the service answers.
type Response struct {
	Orders []Order `json:"orders"`
	// Caller is the identity header the request carried.
	Caller string `json:"caller"`
}

// IdentityHeader is the header the gateway names the caller in.
const IdentityHeader = "X-Amzn-Apigateway-Identity"

// Handler serves the order history.
type Handler struct{ orders []Order }

// New returns a Handler over the embedded table.
func New() (*Handler, error) {
	var orders []Order
	if err := json.Unmarshal(ordersJSON, &orders); err != nil {
		return nil, err
	}
	return &Handler{orders: orders}, nil
}

// ServeHTTP answers GET /orders and GET /orders/{id}.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "only GET"})
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/orders")
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such resource"})
		return
	}
	res := Response{Orders: []Order{}, Caller: r.Header.Get(IdentityHeader)}
	id := strings.Trim(rest, "/")
	customer := r.URL.Query().Get("customer")
	for _, o := range h.orders {
		if (id == "" || o.ID == id) && (customer == "" || o.Customer == customer) {
			res.Orders = append(res.Orders, o)
		}
	}
	if id != "" && len(res.Orders) == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order " + id})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
