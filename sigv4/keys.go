package sigv4

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/subtle"
	"errors"
	"strings"
	"sync"
)

// keyCache is a small bounded map safe for concurrent use. When full, an
// arbitrary entry is evicted to make room (Go's map iteration order is
// randomised), so memory stays bounded whatever the keys.
type keyCache[K comparable, V any] struct {
	mu  sync.RWMutex
	m   map[K]V
	max int
}

func newKeyCache[K comparable, V any](max int) *keyCache[K, V] {
	return &keyCache[K, V]{m: make(map[K]V, min(max, 64)), max: max}
}

func (c *keyCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *keyCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = v
	c.mu.Unlock()
}

func (c *keyCache[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// v4KeyID identifies a SigV4 signing key.
type v4KeyID struct{ accessKeyID, date, region, service string }

// v4KeyEntry is a cached signing key and the secret it was derived from
// (a hit is only used if the secret is still the same).
type v4KeyEntry struct {
	secret string
	key    [32]byte
}

// v4aKeyEntry is a cached SigV4A public key and the secret it was derived
// from.
type v4aKeyEntry struct {
	secret string
	pub    *ecdsa.PublicKey
}

// signingKey returns the SigV4 signing key for the scope, from the cache or
// freshly derived (and then cached).
func signingKey(c *keyCache[v4KeyID, v4KeyEntry], accessKeyID, secret, date, region, service string) [32]byte {
	id := v4KeyID{accessKeyID, date, region, service}
	if e, ok := c.get(id); ok && e.secret == secret {
		return e.key
	}
	k := deriveSigningKey(secret, date, region, service)
	id = v4KeyID{strings.Clone(accessKeyID), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.put(id, v4KeyEntry{secret: secret, key: k})
	return k
}

// p256NMinus2 is n-2 for the order n of P-256, big-endian.
func p256NMinus2() [32]byte {
	return [32]byte{
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
	}
}

// lessOrEqual compares two 32-byte big-endian integers in constant time.
func lessOrEqual(a, b *[32]byte) bool {
	// Walk from the least significant byte; the most significant difference
	// wins.
	lt, gt := 0, 0
	for i := 31; i >= 0; i-- {
		x, y := int(a[i]), int(b[i])
		l := ((x - y) >> 8) & 1 // x < y
		g := ((y - x) >> 8) & 1 // x > y
		eq := subtle.ConstantTimeByteEq(a[i], b[i])
		lt = subtle.ConstantTimeSelect(eq, lt, l)
		gt = subtle.ConstantTimeSelect(eq, gt, g)
	}
	return gt == 0
}

// DeriveV4AKey derives the SigV4A ECDSA P-256 key pair of an access key, as
// AWS specifies: the NIST SP 800-108 KDF in counter mode with HMAC-SHA256,
// keyed with "AWS4A" + secret, label "AWS4-ECDSA-P256-SHA256" and a fixed
// input built from the access key id and a one-byte external counter; the
// candidate c is retried with the next counter while c > n-2, and the private
// key is c+1.
func DeriveV4AKey(accessKeyID, secretAccessKey string) (*ecdsa.PrivateKey, error) {
	key := make([]byte, 0, 5+len(secretAccessKey))
	key = append(append(key, "AWS4A"...), secretAccessKey...)
	// PRF input: i (4 bytes, always 1: one block gives the 256 bits),
	// label, 0x00, context (access key id, external counter), L = 256
	// (4 bytes).
	in := make([]byte, 0, 4+len(AlgorithmV4A)+1+len(accessKeyID)+1+4)
	in = append(in, 0, 0, 0, 1)
	in = append(in, AlgorithmV4A...)
	in = append(in, 0)
	in = append(in, accessKeyID...)
	counterAt := len(in)
	in = append(in, 0, 0, 0, 1, 0)
	limit := p256NMinus2()
	var buf []byte
	for counter := 1; counter <= 255; counter++ {
		in[counterAt] = byte(counter)
		var c [32]byte
		c, buf = hmacSHA256(buf, key, in)
		if !lessOrEqual(&c, &limit) {
			continue
		}
		// d = c + 1 (no overflow: c <= n-2).
		for i := 31; i >= 0; i-- {
			c[i]++
			if c[i] != 0 {
				break
			}
		}
		return ecdsa.ParseRawPrivateKey(elliptic.P256(), c[:])
	}
	return nil, errors.New("sigv4: SigV4A key derivation exhausted its counter")
}

// v4aPublicKey returns the SigV4A public key of an access key, from the
// cache or freshly derived (and then cached).
func v4aPublicKey(c *keyCache[string, v4aKeyEntry], accessKeyID, secret string) (*ecdsa.PublicKey, error) {
	if e, ok := c.get(accessKeyID); ok && e.secret == secret {
		return e.pub, nil
	}
	priv, err := DeriveV4AKey(accessKeyID, secret)
	if err != nil {
		return nil, err
	}
	// Keep only the public half.
	raw, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return nil, err
	}
	c.put(strings.Clone(accessKeyID), v4aKeyEntry{secret: secret, pub: pub})
	return pub, nil
}
