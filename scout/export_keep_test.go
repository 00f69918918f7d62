package scout

import "github.com/scout-dht/scout/internal/dht"

// NodeStats returns the counters of the session's node: what it sent and
// received, for the tests that count a watch's packets.
func (s *Session) NodeStats() dht.Stats { return s.node.Stats() }
