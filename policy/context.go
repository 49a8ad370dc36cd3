package policy

import (
	"iter"
	"strings"
)

// A Context holds the condition keys of one request: aws:SourceIp,
// aws:PrincipalTag/team, vpc-lattice-svcs:RequestMethod and so on. A key is
// single-valued (Set) or multivalued (SetMulti); AWS evaluates the two
// differently, so the distinction is kept.
//
// Key names compare without case, as AWS documents for condition keys,
// except keys of the vpc-lattice-svcs service, which the VPC Lattice guide
// documents as case-sensitive.
//
// A Context is built for one request and may be reused after Reset; it is not
// safe for concurrent mutation, but concurrent evaluations may read it.
type Context struct {
	entries []contextEntry
}

type contextEntry struct {
	key   string
	one   [1]string // storage for a single value, so Set does not allocate
	many  []string
	multi bool
}

func (e *contextEntry) values() []string {
	if e.multi {
		return e.many
	}
	return e.one[:]
}

// NewContext returns an empty context with room for n keys.
func NewContext(n int) *Context {
	return &Context{entries: make([]contextEntry, 0, n)}
}

// Reset removes every key, keeping the storage for reuse.
func (c *Context) Reset() {
	clear(c.entries)
	c.entries = c.entries[:0]
}

// Set sets a single-valued key, replacing any earlier value.
func (c *Context) Set(key, value string) {
	e := c.entry(key)
	e.one[0] = value
	e.many = nil
	e.multi = false
}

// Add sets a single-valued key without looking for an earlier value of
// it, which makes building a context of n keys linear instead of quadratic.
// Use it for keys known to be distinct, such as those a gateway sets for
// every request; if key is already present, the earlier value stays in
// effect.
func (c *Context) Add(key, value string) {
	c.entries = append(c.entries, contextEntry{key: key, one: [1]string{value}})
}

// SetMulti sets a multivalued key such as aws:TagKeys. The slice is kept,
// not copied. An empty slice is a key that is present with no values.
func (c *Context) SetMulti(key string, values []string) {
	e := c.entry(key)
	e.one[0] = ""
	e.many = values
	e.multi = true
}

// Delete removes a key.
func (c *Context) Delete(key string) {
	if c == nil {
		return
	}
	for i := range c.entries {
		if keyEqual(c.entries[i].key, key) {
			c.entries = append(c.entries[:i], c.entries[i+1:]...)
			return
		}
	}
}

// Get returns the values of key, whether it is multivalued, and whether it
// is present.
func (c *Context) Get(key string) (values []string, multi, ok bool) {
	e := c.lookup(key)
	if e == nil {
		return nil, false, false
	}
	return e.values(), e.multi, true
}

// Len returns the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// All yields every key with its values, in the order they were first set.
func (c *Context) All() iter.Seq2[string, []string] {
	return func(yield func(string, []string) bool) {
		if c == nil {
			return
		}
		for i := range c.entries {
			if !yield(c.entries[i].key, c.entries[i].values()) {
				return
			}
		}
	}
}

// IsMulti reports whether key is present and multivalued.
func (c *Context) IsMulti(key string) bool {
	e := c.lookup(key)
	return e != nil && e.multi
}

func (c *Context) entry(key string) *contextEntry {
	for i := range c.entries {
		if keyEqual(c.entries[i].key, key) {
			return &c.entries[i]
		}
	}
	c.entries = append(c.entries, contextEntry{key: key})
	return &c.entries[len(c.entries)-1]
}

func (c *Context) lookup(key string) *contextEntry {
	if c == nil {
		return nil
	}
	for i := range c.entries {
		if keyEqual(c.entries[i].key, key) {
			return &c.entries[i]
		}
	}
	return nil
}

// caseSensitivePrefix is the service whose condition keys the VPC Lattice
// guide documents as case-sensitive.
const caseSensitivePrefix = "vpc-lattice-svcs:"

// keyEqual compares condition key names as AWS does: without case, except
// for the vpc-lattice-svcs service's keys.
func keyEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	if a == b {
		return true
	}
	if isCaseSensitiveKey(a) || isCaseSensitiveKey(b) {
		return false
	}
	return strings.EqualFold(a, b)
}

func isCaseSensitiveKey(k string) bool {
	return len(k) >= len(caseSensitivePrefix) && k[:len(caseSensitivePrefix)] == caseSensitivePrefix
}
