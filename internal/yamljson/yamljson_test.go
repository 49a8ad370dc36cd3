package yamljson

import "testing"

func TestMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"scalar", "x", `"x"`},
		{"string keys", map[string]any{"a": []any{1, "b"}}, `{"a":[1,"b"]}`},
		{"non-string keys", map[any]any{1: "one", true: map[any]any{2.5: nil}}, `{"1":"one","true":{"2.5":null}}`},
		{"nested in a list", []any{map[any]any{"k": "v"}}, `[{"k":"v"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.in)
			if err != nil || string(got) != tt.want {
				t.Errorf("Marshal = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}
