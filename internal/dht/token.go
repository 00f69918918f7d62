package dht

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/netip"
	"sync"
	"time"
)

// tokens issues and checks the write tokens of BEP 5 and BEP 44: a hash
// of a secret and the asker's IP address (SHA-256, truncated; fixed-size
// inputs, so no length extension to fear), under a secret that rotates
// every five minutes; the previous secret is still accepted.
type tokens struct {
	mu       sync.Mutex
	now      func() time.Time
	current  [20]byte
	previous [20]byte
	rotated  time.Time
}

const (
	tokenRotation = 5 * time.Minute
	tokenSize     = 8
)

func newTokens(now func() time.Time) *tokens {
	t := &tokens{now: now, rotated: now()}
	rand.Read(t.current[:])
	t.previous = t.current
	return t
}

func (t *tokens) secrets() (cur, prev [20]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := t.now(); now.Sub(t.rotated) > tokenRotation {
		t.previous = t.current
		rand.Read(t.current[:])
		t.rotated = now
	}
	return t.current, t.previous
}

func tokenFor(dst []byte, secret [20]byte, addr netip.AddrPort) []byte {
	var in [20 + 16]byte
	copy(in[:], secret[:])
	ip := addr.Addr().Unmap().As16()
	copy(in[20:], ip[:])
	sum := sha256.Sum256(in[:])
	return append(dst, sum[:tokenSize]...)
}

// create returns the token for addr.
func (t *tokens) create(addr netip.AddrPort) []byte {
	cur, _ := t.secrets()
	return tokenFor(make([]byte, 0, tokenSize), cur, addr)
}

// valid reports whether token is one we gave addr lately.
func (t *tokens) valid(token []byte, addr netip.AddrPort) bool {
	if len(token) != tokenSize {
		return false
	}
	cur, prev := t.secrets()
	var a, b [tokenSize]byte
	return subtle.ConstantTimeCompare(token, tokenFor(a[:0], cur, addr)) == 1 ||
		subtle.ConstantTimeCompare(token, tokenFor(b[:0], prev, addr)) == 1
}
