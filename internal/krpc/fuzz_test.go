package krpc_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/jackpal/bencode-go"

	"github.com/scout-dht/scout/internal/krpc"
	"github.com/scout-dht/scout/internal/krpc/krpctest"
)

// FuzzDecode: krpc.Decode never panics; a message it accepts re-encodes to one
// it reads back the same, and is well-formed bencoding for another decoder.
func FuzzDecode(f *testing.F) {
	for _, s := range krpctest.Seeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m krpc.Msg
		if krpc.Decode(b, &m) != nil {
			return
		}
		if _, err := bencode.Decode(bytes.NewReader(b)); err != nil {
			t.Fatalf("accepted %q, which jackpal/bencode-go refuses: %v", b, err)
		}
		var again []byte
		switch m.Y {
		case krpc.KindQuery:
			again = krpc.AppendQuery(nil, m.T, m.Q, &m.A, m.RO)
		case krpc.KindReply:
			again = krpc.AppendReply(nil, m.T, &m.R, m.IP)
		case krpc.KindError:
			again = krpc.AppendError(nil, m.T, m.E)
		}
		var m2 krpc.Msg
		if err := krpc.Decode(again, &m2); err != nil {
			t.Fatalf("re-encoding of %q is refused: %v\n%q", b, err, again)
		}
		m.R.Values, m2.R.Values = 0, 0 // not re-encoded
		if m.Y != krpc.KindReply {
			m.IP = m2.IP // only replies carry it
		}
		if fmt.Sprint(m) != fmt.Sprint(m2) {
			t.Fatalf("round trip of %q changed it:\n%+v\n%+v", b, m, m2)
		}
	})
}
