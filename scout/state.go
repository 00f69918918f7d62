package scout

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/scout-dht/scout/internal/dht"
)

// stateFile is what a session keeps between runs: its node id and the
// good nodes it knew.
type stateFile struct {
	ID    string      `json:"id"`
	ID6   string      `json:"id6,omitempty"` // the IPv6 node's (BEP 42 gives each family its own)
	Nodes []stateNode `json:"nodes"`
}

type stateNode struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// loadState reads the state file; with none (or a malformed one) the id is
// new and random.
func (s *Session) loadState() (ids [2]dht.ID, nodes []dht.Contact) {
	rand.Read(ids[0][:])
	rand.Read(ids[1][:])
	if s.opts.StateFile == "" {
		return ids, nil
	}
	b, err := os.ReadFile(s.opts.StateFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logf("reading state file: %v", err)
		}
		return ids, nil
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		s.logf("state file %s is malformed, starting afresh: %v", s.opts.StateFile, err)
		return ids, nil
	}
	for i, h := range []string{st.ID, st.ID6} {
		if raw, err := hex.DecodeString(h); err == nil && len(raw) == len(ids[i]) {
			copy(ids[i][:], raw)
		}
	}
	for _, n := range st.Nodes {
		raw, err := hex.DecodeString(n.ID)
		ap, err2 := netip.ParseAddrPort(n.Addr)
		if err != nil || err2 != nil || len(raw) != len(dht.ID{}) {
			continue
		}
		c := dht.Contact{HasID: true, Addr: dht.NormAddr(ap)}
		copy(c.ID[:], raw)
		nodes = append(nodes, c)
	}
	return ids, nodes
}

// saveState writes the state file through a temporary file, so that a
// reader never sees half of it.
func (s *Session) saveState(h *dht.Host) error {
	if s.opts.StateFile == "" {
		return nil
	}
	st := stateFile{Nodes: []stateNode{}}
	for _, n := range h.Nodes() {
		id := n.ID()
		if n.IPv6() {
			st.ID6 = hex.EncodeToString(id[:])
		} else {
			st.ID = hex.EncodeToString(id[:])
		}
	}
	if st.ID == "" { // an IPv6 session: "id" is still there for older readers
		st.ID = st.ID6
	}
	for _, c := range h.GoodContacts() {
		st.Nodes = append(st.Nodes, stateNode{ID: hex.EncodeToString(c.ID[:]), Addr: c.Addr.String()})
	}
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.opts.StateFile), ".scout-state-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), s.opts.StateFile)
}
