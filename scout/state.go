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
	Nodes []stateNode `json:"nodes"`
}

type stateNode struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
}

// loadState reads the state file; with none (or a malformed one) the id is
// new and random.
func (s *Session) loadState() (id dht.ID, nodes []dht.Contact) {
	rand.Read(id[:])
	if s.opts.StateFile == "" {
		return id, nil
	}
	b, err := os.ReadFile(s.opts.StateFile)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.logf("reading state file: %v", err)
		}
		return id, nil
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		s.logf("state file %s is malformed, starting afresh: %v", s.opts.StateFile, err)
		return id, nil
	}
	if raw, err := hex.DecodeString(st.ID); err == nil && len(raw) == len(id) {
		copy(id[:], raw)
	}
	for _, n := range st.Nodes {
		raw, err := hex.DecodeString(n.ID)
		ap, err2 := netip.ParseAddrPort(n.Addr)
		if err != nil || err2 != nil || len(raw) != len(id) {
			continue
		}
		c := dht.Contact{HasID: true, Addr: dht.NormAddr(ap)}
		copy(c.ID[:], raw)
		nodes = append(nodes, c)
	}
	return id, nodes
}

// saveState writes the state file through a temporary file, so that a
// reader never sees half of it.
func (s *Session) saveState(n *dht.Node) error {
	if s.opts.StateFile == "" {
		return nil
	}
	id := n.ID()
	st := stateFile{ID: hex.EncodeToString(id[:]), Nodes: []stateNode{}}
	for _, c := range n.GoodContacts() {
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
