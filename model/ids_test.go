package model

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func TestNewID(t *testing.T) {
	r := rand.NewChaCha8([32]byte{7})
	for _, tc := range []struct {
		t   ResourceType
		pat string
	}{
		{TypeServiceNetwork, `^sn-[0-9a-z]{17}$`},
		{TypeService, `^svc-[0-9a-z]{17}$`},
		{TypeServiceNetworkServiceAssociation, `^snsa-[0-9a-z]{17}$`},
		{TypeServiceNetworkVPCAssociation, `^snva-[0-9a-z]{17}$`},
		{TypeListener, `^listener-[0-9a-z]{17}$`},
		{TypeRule, `^rule-[0-9a-z]{17}$`},
		{TypeTargetGroup, `^tg-[0-9a-z]{17}$`},
		{TypeAccessLogSubscription, `^als-[0-9a-z]{17}$`},
	} {
		id, err := NewID(r, tc.t)
		if err != nil || !regexp.MustCompile(tc.pat).MatchString(id) {
			t.Errorf("NewID(%s) = %q, %v", tc.t, id, err)
		}
		if !IsID(tc.t, id) || TypeOfID(id) != tc.t {
			t.Errorf("%q: IsID %v, TypeOfID %s", id, IsID(tc.t, id), TypeOfID(id))
		}
	}
	if _, err := NewID(r, TypeUnknown); err == nil {
		t.Error("NewID(TypeUnknown) did not fail")
	}
	if _, err := NewID(bytes.NewReader(nil), TypeService); !errors.Is(err, ErrNoRandom) {
		t.Errorf("empty reader: %v", err)
	}
}

func TestNewIDDeterministicAndUniform(t *testing.T) {
	a, _ := NewID(rand.NewChaCha8([32]byte{1}), TypeService)
	b, _ := NewID(rand.NewChaCha8([32]byte{1}), TypeService)
	if a != b {
		t.Fatalf("same seed, %s and %s", a, b)
	}
	// Every character of the alphabet appears, roughly equally often.
	counts := map[rune]int{}
	r := rand.NewChaCha8([32]byte{2})
	const n = 4000
	for i := 0; i < n; i++ {
		id, _ := NewID(r, TypeTargetGroup)
		for _, c := range id[3:] {
			counts[c]++
		}
	}
	want := float64(n*IDSuffixLen) / 36
	for _, c := range idAlphabet {
		if got := float64(counts[c]); got < want*0.9 || got > want*1.1 {
			t.Errorf("%c: %v times, want about %v", c, got, want)
		}
	}
}

func TestIsID(t *testing.T) {
	for _, tc := range []struct {
		t    ResourceType
		s    string
		want bool
	}{
		{TypeService, "svc-0123456789abcdefg", true},
		{TypeService, "svc-0123456789ABCDEFG", false},
		{TypeService, "svc-0123456789abcdef", false},
		{TypeService, "svc-0123456789abcdefgh", false},
		{TypeService, "sn-0123456789abcdefg", false},
		{TypeServiceNetwork, "sn-0123456789abcdefg", true},
		{TypeServiceNetwork, "sn_0123456789abcdefg", false},
		{TypeRule, "rule-" + strings.Repeat("z", 17), true},
		{TypeUnknown, "x-0123456789abcdefg", false},
	} {
		if got := IsID(tc.t, tc.s); got != tc.want {
			t.Errorf("IsID(%s, %q) = %v", tc.t, tc.s, got)
		}
	}
	if TypeOfID("nope") != TypeUnknown || TypeOfID("svc-x") != TypeUnknown {
		t.Error("TypeOfID accepted a malformed ID")
	}
}
