package sigv4

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"errors"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
)

// keyCache is a small bounded map safe for concurrent use, with lock-free
// reads. When it grows past its bound, an arbitrary eighth of its entries is
// evicted, so memory stays bounded whatever the keys.
type keyCache[K comparable, V any] struct {
	m       sync.Map
	n       atomic.Int64
	max     int64
	evictMu sync.Mutex
}

func newKeyCache[K comparable, V any](max int) *keyCache[K, V] {
	return &keyCache[K, V]{max: int64(max)}
}

func (c *keyCache[K, V]) get(k K) (V, bool) {
	v, ok := c.m.Load(k)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (c *keyCache[K, V]) put(k K, v V) {
	if _, loaded := c.m.Swap(k, v); loaded || c.n.Add(1) <= c.max {
		return
	}
	if !c.evictMu.TryLock() {
		return // another goroutine is evicting
	}
	defer c.evictMu.Unlock()
	target := c.max - c.max/8
	c.m.Range(func(key, _ any) bool {
		if c.n.Load() <= target {
			return false
		}
		if _, ok := c.m.LoadAndDelete(key); ok {
			c.n.Add(-1)
		}
		return true
	})
}

func (c *keyCache[K, V]) len() int { return int(c.n.Load()) }

// v4KeyEntry is a cached SigV4 signing key, as the SHA-256 states after
// absorbing its HMAC inner and outer pads (so each signature costs two
// SHA-256 blocks less), with the secret it was derived from: a hit is only
// used if the secret is still the same.
type v4KeyEntry struct {
	secret       string
	inner, outer []byte // marshaled sha256 states
}

// newV4KeyEntry derives the signing key of a credential scope
// (date/region/service/aws4_request) and precomputes its HMAC pad states.
func newV4KeyEntry(secret, date, region, service string) v4KeyEntry {
	k := deriveSigningKey(secret, date, region, service)
	var ipad, opad [64]byte
	for i := range ipad {
		ipad[i], opad[i] = 0x36, 0x5c
	}
	for i, c := range k {
		ipad[i] ^= c
		opad[i] ^= c
	}
	h := sha256.New()
	h.Write(ipad[:])
	inner, err1 := h.(encoding.BinaryMarshaler).MarshalBinary()
	h.Reset()
	h.Write(opad[:])
	outer, err2 := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err1 != nil || err2 != nil {
		panic("sigv4: crypto/sha256 state cannot be marshaled") // never: the stdlib digest supports it
	}
	return v4KeyEntry{secret: secret, inner: inner, outer: outer}
}

// signingKey returns the SigV4 key entry for a credential
// ("AKID/date/region/service/aws4_request"), from the cache or freshly derived
// (and then cached).
func signingKey(c *keyCache[string, v4KeyEntry], credential, secret, date, region, service string) v4KeyEntry {
	if e, ok := c.get(credential); ok && e.secret == secret {
		return e
	}
	e := newV4KeyEntry(secret, date, region, service)
	c.put(strings.Clone(credential), e)
	return e
}

// macer computes HMAC-SHA256 from precomputed pad states with one reusable
// digest, without allocating.
type macer struct {
	h   hash.Hash
	u   encoding.BinaryUnmarshaler
	sum []byte
}

func (m *macer) mac(k *v4KeyEntry, msg []byte) [32]byte {
	if m.h == nil {
		m.h = sha256.New()
		m.u = m.h.(encoding.BinaryUnmarshaler)
		m.sum = make([]byte, 0, sha256.Size)
	}
	var out [32]byte
	if m.u.UnmarshalBinary(k.inner) != nil {
		return out
	}
	m.h.Write(msg)
	m.sum = m.h.Sum(m.sum[:0])
	if m.u.UnmarshalBinary(k.outer) != nil {
		return out
	}
	m.h.Write(m.sum)
	m.sum = m.h.Sum(m.sum[:0])
	copy(out[:], m.sum)
	return out
}

// v4aKeyEntry is a cached SigV4A public key and the secret it was derived
// from.
type v4aKeyEntry struct {
	secret string
	pub    *ecdsa.PublicKey
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
