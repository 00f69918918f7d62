package scout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"net/netip"
	"sync"
	"time"
)

// tokenServer issues and checks the write tokens of BEP 5 and BEP 44: an
// HMAC of the asker's address under a secret that rotates every five
// minutes; the previous secret is still accepted.
type tokenServer struct {
	mu       sync.Mutex
	current  [20]byte
	previous [20]byte
	rotated  time.Time
}

const tokenRotation = 5 * time.Minute

func newTokenServer() *tokenServer {
	t := &tokenServer{rotated: time.Now()}
	rand.Read(t.current[:])
	t.previous = t.current
	return t
}

func (t *tokenServer) secrets() (cur, prev [20]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if time.Since(t.rotated) > tokenRotation {
		t.previous = t.current
		rand.Read(t.current[:])
		t.rotated = time.Now()
	}
	return t.current, t.previous
}

func tokenFor(secret [20]byte, addr netip.AddrPort) string {
	mac := hmac.New(sha1.New, secret[:])
	ip := addr.Addr().Unmap().AsSlice()
	mac.Write(ip)
	return string(mac.Sum(nil)[:8])
}

func (t *tokenServer) create(addr netip.AddrPort) string {
	cur, _ := t.secrets()
	return tokenFor(cur, addr)
}

func (t *tokenServer) valid(token string, addr netip.AddrPort) bool {
	cur, prev := t.secrets()
	return hmac.Equal([]byte(token), []byte(tokenFor(cur, addr))) ||
		hmac.Equal([]byte(token), []byte(tokenFor(prev, addr)))
}
