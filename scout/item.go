package scout

import (
	"context"
	"fmt"

	"github.com/scout-dht/scout/internal/dht"
)

// PutResult reports a completed Put.
type PutResult struct {
	Hash Hash // the stored item's target: the list's new head
	// Stored is how many nodes acknowledged the write before Put returned:
	// it returns once a majority of the nodes closest to the hash have,
	// and the puts to the slowest go on without being waited for.
	Stored int
}

// Message is one offline message read back from the DHT.
type Message struct {
	Hash     Hash   // the item's target
	Contents []byte // the message
	Next     Hash   // the next (older) message's hash; zero ends the list
}

// Put stores contents as an immutable message whose next hash is token, on
// the nodes closest to its hash, and returns that hash: the list's new head.
func (s *Session) Put(ctx context.Context, token Hash, contents []byte) (_ PutResult, err error) {
	blob, err := EncodeMessage(token, contents)
	if err != nil {
		return PutResult{}, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return PutResult{}, err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	it := dht.Item{V: BencodeBytes(blob)}
	target := it.Target()
	res, nodes, err := s.node.PutItem(ctx, it)
	if err != nil {
		return PutResult{}, s.opErr(ctx, err)
	}
	if !s.node.ReadOnly() {
		_ = s.node.Store().Put(it, 0, false)
	}
	if res.Stored == 0 {
		if err := s.opErr(ctx, ctx.Err()); err != nil {
			return PutResult{}, err
		}
		if len(nodes) == 0 {
			return PutResult{}, errNoAnswer
		}
		return PutResult{}, fmt.Errorf("%w: no node stored the message (%d answered the lookup; last error: %v)", ErrNetwork, len(nodes), res.LastErr)
	}
	return PutResult{Hash: Hash(target), Stored: res.Stored}, nil
}

// Get fetches the message stored under hash. It ends with ErrNotFound when
// the nodes closest to hash do not hold it.
func (s *Session) Get(ctx context.Context, hash Hash) (_ Message, err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return Message{}, err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	return s.get(ctx, hash)
}

func (s *Session) get(ctx context.Context, hash Hash) (Message, error) {
	m, it, answered, err := s.getItem(ctx, hash)
	if err == nil {
		s.refreshAsync(answered, it)
	}
	return m, err
}

// getItem fetches the message stored under hash, with the item that holds
// it, byte for byte, and the nodes that answered the lookup (none when the
// session's own node holds it).
func (s *Session) getItem(ctx context.Context, hash Hash) (Message, dht.Item, []dht.Answer, error) {
	if it, ok := s.node.Store().Get(dht.ID(hash)); ok && !it.Mutable {
		if m, err := messageFrom(hash, it.V); err == nil {
			return m, it, nil, nil
		}
	}
	var (
		found Message
		item  dht.Item
		ok    bool
	)
	answered, err := s.node.Get(ctx, dht.ID(hash), 0, false, func(a dht.Answer) bool {
		if a.Item == nil || a.Item.Mutable {
			return false
		}
		m, err := messageFrom(hash, a.Item.V)
		if err != nil {
			s.logf("item %v from %v is not a message: %v", hash, a.Node.Addr, err)
			return false
		}
		found, item, ok = m, *a.Item, true
		return true
	})
	if err != nil {
		return Message{}, dht.Item{}, nil, s.opErr(ctx, err)
	}
	if !ok && len(answered) == 0 {
		return Message{}, dht.Item{}, nil, s.opErr(ctx, errNoAnswer)
	}
	if !ok {
		return Message{}, dht.Item{}, nil, fmt.Errorf("%w: message %v", ErrNotFound, hash)
	}
	return found, item, answered, nil
}

// messageFrom parses an immutable item's bencoded value as a message blob.
func messageFrom(hash Hash, bv []byte) (Message, error) {
	blob, err := ParseBencodedBytes(bv)
	if err != nil {
		return Message{}, err
	}
	msg, next, err := ParseMessage(blob)
	if err != nil {
		return Message{}, err
	}
	return Message{Hash: hash, Contents: msg, Next: next}, nil
}

// GetList walks the list from head, newest first, for at most max messages
// (max <= 0: to the list's end). It returns the messages read so far along
// with any error that stopped the walk.
func (s *Session) GetList(ctx context.Context, head Hash, max int) (_ []Message, err error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	defer func() { s.opStats.count(err) }()
	var out []Message
	seen := make(map[Hash]bool)
	for h := head; !h.IsZero() && (max <= 0 || len(out) < max); {
		if seen[h] {
			return out, fmt.Errorf("%w: the list loops back to %v", ErrInvalidArgument, h)
		}
		seen[h] = true
		m, err := s.get(ctx, h)
		if err != nil {
			return out, err
		}
		out = append(out, m)
		h = m.Next
	}
	return out, nil
}
