package scout

import (
	"context"

	"github.com/scout-dht/scout/internal/dht"
)

// NodeStats returns the counters of the session's node: what it sent and
// received, for the tests that count a watch's packets.
func (s *Session) NodeStats() dht.Stats { return s.node.Primary().Stats() }

// Poll is one of Watch's looks at the list under shared, alone: a get
// lookup with BEP 44's seq set to seq (none when seq is 0). It returns how
// many nodes answered and how many sent the value.
func (s *Session) Poll(ctx context.Context, shared SharedSecret, seq int64) (answered, values int, err error) {
	answers, err := s.node.Get(ctx, dht.ID(shared.Target()), seq, seq > 0, nil)
	for _, a := range answers {
		if a.Item != nil {
			values++
		}
	}
	return len(answers), values, err
}
