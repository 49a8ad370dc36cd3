// Package yamljson writes values decoded from YAML as JSON, so that YAML
// documents can be read by decoders written for JSON.
package yamljson

import (
	"encoding/json"
	"fmt"
)

// Marshal returns the JSON encoding of v, a value the YAML decoder
// produced: mappings whose keys are not strings (such as 1: x) get their
// keys written as strings, which encoding/json requires.
func Marshal(v any) ([]byte, error) {
	return json.Marshal(stringKeys(v))
}

func stringKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = stringKeys(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
		return x
	}
	return v
}
