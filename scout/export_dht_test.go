package scout

import (
	"context"

	"github.com/scout-dht/scout/internal/dht"
)

// PutMutableCopies writes a mutable item under shared straight to the nodes
// closest to its target, bypassing Synchronize: node i (closest first) gets
// sealedFor(i), signed at seq. Tests use it to plant divergent, foreign or
// tampered replicas. It returns how many nodes stored their copy.
func (s *Session) PutMutableCopies(ctx context.Context, shared SharedSecret, seq int64, sealedFor func(i int) []byte) (int, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	nodes, err := s.node.Get(ctx, dht.ID(shared.Target()), 0, false, nil)
	if err != nil {
		return 0, err
	}
	stored := 0
	for i, a := range nodes {
		bv := BencodeBytes(sealedFor(i))
		it := dht.Item{V: bv, Mutable: true, K: shared.SigningPublicKey(), Seq: seq, Sig: SignMutable(shared.SigningKey(), seq, bv)}
		stored += s.node.Put(ctx, []dht.Answer{a}, it, nil).Stored
	}
	return stored, nil
}

// StoredItems reports how many items the session's node keeps for others.
func (s *Session) StoredItems() int {
	items, _ := s.node.Store().Stats()
	return items
}

// Active reports how many operations the session has in flight.
func (s *Session) Active() int { return int(s.active.Load()) }

// Holds reports whether the session's node stores the item under hash.
func (s *Session) Holds(hash Hash) bool {
	_, ok := s.node.Store().Get(dht.ID(hash))
	return ok
}
