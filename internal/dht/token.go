package dht

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"net/netip"
	"sync"
	"time"
)

// tokens issues and checks the write tokens of BEP 5 and BEP 44: an HMAC
// of the asker's IP address under a secret that rotates every five
// minutes; the previous secret is still accepted.
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
	mac := hmac.New(sha1.New, secret[:])
	ip := addr.Addr().Unmap()
	if ip.Is4() {
		b := ip.As4()
		mac.Write(b[:])
	} else {
		b := ip.As16()
		mac.Write(b[:])
	}
	var sum [sha1.Size]byte
	return append(dst, mac.Sum(sum[:0])[:tokenSize]...)
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
	var buf [tokenSize]byte
	return hmac.Equal(token, tokenFor(buf[:0], cur, addr)) || hmac.Equal(token, tokenFor(buf[:0], prev, addr))
}
