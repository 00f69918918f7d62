package scout

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"sync"

	"github.com/anacrolix/dht/v2/krpc"
)

// getLookup walks towards target with BEP 44 get queries; the answers carry
// write tokens and, where a node holds the item, the item. seq, when set,
// asks nodes to leave out a mutable value whose seq is not above it.
func (s *Session) getLookup(ctx context.Context, target nodeID, seq *int64, answered func(contact, *krpc.Return) bool) ([]lookupResult, error) {
	return s.node.lookup(ctx, lookupSpec{target: target, q: "get", args: getArgs(target, seq), answered: answered}, s.seeds)
}

func getArgs(target nodeID, seq *int64) krpc.MsgArgs {
	return krpc.MsgArgs{Target: krpc.ID(target), Seq: seq, Want: []krpc.Want{krpc.WantNodes}}
}

// putResult counts the answers to a round of put queries.
type putResult struct {
	stored    int
	conflicts int // 301 (cas) and 302 (seq) refusals: another writer got in
	lastErr   error
}

// putAll sends the put built by args to every node that gave a token, in
// parallel, and counts the answers. cas, when set, gives the cas for each
// node: the seq that node held when we read it.
func (s *Session) putAll(ctx context.Context, nodes []lookupResult, args krpc.MsgArgs, cas func(lookupResult) int64) putResult {
	var (
		mu  sync.Mutex
		res putResult
		wg  sync.WaitGroup
	)
	for _, r := range nodes {
		if r.reply == nil || r.reply.Token == nil {
			continue
		}
		a := args
		a.Token = *r.reply.Token
		if cas != nil {
			a.Cas = cas(r)
		}
		wg.Add(1)
		go func(c contact) {
			defer wg.Done()
			_, err := s.node.query(ctx, c, "put", a)
			mu.Lock()
			defer mu.Unlock()
			var ke krpc.Error
			switch {
			case err == nil:
				res.stored++
			case errors.As(err, &ke) && (ke.Code == krpc.ErrorCodeCasHashMismatched || ke.Code == krpc.ErrorCodeSequenceNumberLessThanCurrent):
				res.conflicts++
				res.lastErr = err
			default:
				res.lastErr = err
				s.logf("put to %v: %v", c.Addr, err)
			}
		}(r.contact)
	}
	wg.Wait()
	return res
}

// Put stores contents as an immutable message whose next hash is token, on
// the nodes closest to its hash, and returns that hash: the list's new head.
func (s *Session) Put(ctx context.Context, token Hash, contents []byte) (PutResult, error) {
	blob, err := EncodeMessage(token, contents)
	if err != nil {
		return PutResult{}, err
	}
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return PutResult{}, err
	}
	defer done()
	target := MessageHash(blob)
	nodes, err := s.getLookup(ctx, nodeID(target), nil, nil)
	if err != nil {
		return PutResult{}, s.opErr(ctx, err)
	}
	res := s.putAll(ctx, nodes, krpc.MsgArgs{V: string(blob)}, nil)
	if !s.node.readOnly {
		_ = s.node.store.put(&item{target: nodeID(target), value: string(blob), bv: BencodeBytes(blob)}, 0)
	}
	if res.stored == 0 {
		if err := s.opErr(ctx, ctx.Err()); err != nil {
			return PutResult{}, err
		}
		if len(nodes) == 0 {
			return PutResult{}, errNoAnswer
		}
		return PutResult{}, fmt.Errorf("%w: no node stored the message (%d answered the lookup; last error: %v)", ErrNetwork, len(nodes), res.lastErr)
	}
	return PutResult{Hash: target, Stored: res.stored}, nil
}

// Get fetches the message stored under hash. It ends with ErrNotFound when
// the nodes closest to hash do not hold it.
func (s *Session) Get(ctx context.Context, hash Hash) (Message, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return Message{}, err
	}
	defer done()
	return s.get(ctx, hash)
}

func (s *Session) get(ctx context.Context, hash Hash) (Message, error) {
	if it, ok := s.node.store.get(nodeID(hash)); ok && !it.mutable {
		if m, err := messageFrom(hash, it.bv); err == nil {
			return m, nil
		}
	}
	var (
		found Message
		ok    bool
	)
	answered, err := s.getLookup(ctx, nodeID(hash), nil, func(c contact, r *krpc.Return) bool {
		if len(r.V) == 0 || Hash(sha1.Sum(r.V)) != hash {
			return false
		}
		m, err := messageFrom(hash, r.V)
		if err != nil {
			s.logf("item %v from %v is not a message: %v", hash, c.Addr, err)
			return false
		}
		found, ok = m, true
		return true
	})
	if err != nil {
		return Message{}, s.opErr(ctx, err)
	}
	if !ok && len(answered) == 0 {
		return Message{}, s.opErr(ctx, errNoAnswer)
	}
	if !ok {
		return Message{}, fmt.Errorf("%w: message %v", ErrNotFound, hash)
	}
	return found, nil
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
func (s *Session) GetList(ctx context.Context, head Hash, max int) ([]Message, error) {
	ctx, done, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
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
