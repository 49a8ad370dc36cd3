package scan

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/trellisproject/trellis/internal/yamljson"
	"go.yaml.in/yaml/v3"
)

// An Error is one problem with a scenario: where it is (the file, the
// line when known, and the path of the key, such as "callers[2].signs")
// and what is wrong. Parse and Load return every problem they find at
// once, joined with errors.Join.
type Error struct {
	File    string
	Line    int
	Path    string
	Message string
}

// Error formats the problem as FILE:LINE: PATH: MESSAGE.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// maxErrors bounds the problems reported for one scenario, so that a file
// that is wrong everywhere does not bury the first problems.
const maxErrors = 50

// problems collects the errors of one scenario file, with the line of
// every path decoded so far, so that later checks can point at lines too.
type problems struct {
	file  string
	lines map[string]int
	errs  []error
	// aliases counts the YAML aliases followed, which maxAliases bounds:
	// aliases of aliases could otherwise make a small file decode into an
	// enormous scenario.
	aliases int
}

// maxAliases bounds the aliases one scenario may follow.
const maxAliases = 1000

func newProblems(file string) *problems {
	return &problems{file: file, lines: map[string]int{}}
}

// at reports a problem at a path, on the line the path was decoded from
// (or its nearest parent's).
func (p *problems) at(path, format string, args ...any) {
	if len(p.errs) == maxErrors {
		p.errs = append(p.errs, &Error{File: p.file, Message: "too many problems; fix these first"})
	}
	if len(p.errs) > maxErrors {
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: p.line(path), Path: path, Message: fmt.Sprintf(format, args...)})
}

// line returns the line of path or of its nearest parent, 0 if unknown.
func (p *problems) line(path string) int {
	for {
		if l, ok := p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if path == "" {
			return 0
		}
		path = path[:max(i, 0)]
	}
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// nodeDecoder is implemented by types that decode their YAML node
// themselves (raw configuration sections, policy documents).
type nodeDecoder interface {
	decodeNode(p *problems, n *yaml.Node, path string)
}

var nodeDecoderType = reflect.TypeFor[nodeDecoder]()

// decodeNode decodes n into v strictly: a mapping into a struct by the
// fields' yaml tags, where an unknown or repeated key is a problem; a
// sequence into a slice; scalars into strings, booleans and integers of
// the right YAML type. It records the line of every path it visits.
func decodeNode(p *problems, n *yaml.Node, path string, v reflect.Value) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		if p.aliases++; p.aliases > maxAliases {
			if p.aliases == maxAliases+1 {
				p.at(path, "more than %d aliases (*name) are followed: write the scenario out", maxAliases)
			}
			return
		}
		n = n.Alias
	}
	p.lines[path] = n.Line
	if v.CanAddr() && v.Addr().Type().Implements(nodeDecoderType) {
		v.Addr().Interface().(nodeDecoder).decodeNode(p, n, path)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		e := reflect.New(v.Type().Elem())
		decodeNode(p, n, path, e.Elem())
		v.Set(e)
	case reflect.Struct:
		decodeStruct(p, n, path, v)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			p.at(path, "expected a list, found %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			decodeNode(p, c, fmt.Sprintf("%s[%d]", path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || isNull(n) || n.Tag == "!!bool" {
			p.at(path, "expected a string, found %s", describe(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			p.at(path, "expected true or false, found %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int:
		i, err := strconv.Atoi(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			p.at(path, "expected a whole number, found %s", describe(n))
			return
		}
		v.SetInt(int64(i))
	default:
		panic("scan: cannot decode into " + v.Type().String())
	}
}

// decodeStruct decodes a mapping into the yaml-tagged fields of a struct.
func decodeStruct(p *problems, n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		p.at(path, "expected a mapping of keys to values, found %s", describe(n))
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = i
			known = append(known, name)
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		p.lines[kp] = k.Line
		if k.Kind != yaml.ScalarNode {
			p.at(path, "line %d: a key must be a plain name, found %s", k.Line, describe(k))
			continue
		}
		f, ok := fields[k.Value]
		if !ok {
			p.at(kp, "unknown key %q; the keys here are: %s", k.Value, strings.Join(known, ", "))
			continue
		}
		if seen[k.Value] {
			p.at(kp, "%q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		decodeNode(p, val, kp, v.Field(f))
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return strconv.Quote(v)
	}
	return "something else"
}

// A Section is a section of a native configuration document (identity,
// network or apis) written inline in a scenario, kept as written until the
// configuration of a stage is built.
type Section struct {
	node *yaml.Node
}

// IsZero reports whether the section is absent.
func (s Section) IsZero() bool { return s.node == nil }

func (s *Section) decodeNode(p *problems, n *yaml.Node, path string) {
	if n.Kind != yaml.MappingNode {
		p.at(path, "expected a section of the native configuration document (a mapping), found %s", describe(n))
		return
	}
	s.node = n
}

// A PolicyDocument is an IAM policy written as a YAML or JSON mapping, or
// as a string holding JSON.
type PolicyDocument struct {
	// JSON is the document as JSON text.
	JSON string
}

func (d *PolicyDocument) decodeNode(p *problems, n *yaml.Node, path string) {
	switch {
	case n.Kind == yaml.ScalarNode && !isNull(n) && n.Tag == "!!str":
		d.JSON = n.Value
	case n.Kind == yaml.MappingNode:
		var v any
		if err := n.Decode(&v); err != nil {
			p.at(path, "the policy does not decode: %v", err)
			return
		}
		b, err := yamljson.Marshal(v)
		if err != nil {
			p.at(path, "the policy cannot be written as JSON: %v", err)
			return
		}
		d.JSON = string(b)
	default:
		p.at(path, "expected a policy document (a mapping, or a string holding JSON), found %s", describe(n))
	}
}

// oneOf reports whether s is one of the choices.
func oneOf(s string, choices ...string) bool { return slices.Contains(choices, s) }
