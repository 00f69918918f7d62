package scout

import (
	"context"

	"github.com/anacrolix/dht/v2/krpc"
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
	target := nodeID(shared.Target())
	nodes, err := s.getLookup(ctx, target, nil, nil)
	if err != nil {
		return 0, err
	}
	stored := 0
	for i, r := range nodes {
		if r.reply.Token == nil {
			continue
		}
		sealed := sealedFor(i)
		sig := SignMutable(shared.SigningKey(), seq, BencodeBytes(sealed))
		args := krpc.MsgArgs{V: string(sealed), K: shared.SigningPublicKey(), Sig: sig, Seq: &seq, Token: *r.reply.Token}
		if _, err := s.node.query(ctx, r.contact, "put", args); err == nil {
			stored++
		}
	}
	return stored, nil
}

// StoredItems reports how many items the session's node keeps for others.
func (s *Session) StoredItems() int {
	items, _ := s.node.store.stats()
	return items
}
