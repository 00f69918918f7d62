package krpc

import (
	"net/netip"
	"strconv"
)

// The encoders append one message to b, keys in sorted order. Values held
// verbatim (a BEP 44 "v") must already be bencoded.

func appendStr(b, s []byte) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func appendInt(b []byte, v int64) []byte {
	b = append(b, 'i')
	b = strconv.AppendInt(b, v, 10)
	return append(b, 'e')
}

// AppendQuery appends a query: method with args a, transaction t, "ro"
// when the sender is read-only (BEP 43). The id is always sent; other
// arguments when their Has flag is set or their slice is not nil.
func AppendQuery(b, t []byte, method Method, a *Args, ro bool) []byte {
	b = append(b, "d1:ad"...)
	if a.HasCas {
		b = append(b, "3:cas"...)
		b = appendInt(b, a.Cas)
	}
	b = append(b, "2:id20:"...)
	b = append(b, a.ID[:]...)
	if a.Implied {
		b = append(b, "12:implied_porti1e"...)
	}
	if a.HasInfoHash {
		b = append(b, "9:info_hash20:"...)
		b = append(b, a.InfoHash[:]...)
	}
	if a.HasK {
		b = append(b, "1:k32:"...)
		b = append(b, a.K[:]...)
	}
	if a.HasPort {
		b = append(b, "4:port"...)
		b = appendInt(b, a.Port)
	}
	if len(a.Salt) > 0 {
		b = append(b, "4:salt"...)
		b = appendStr(b, a.Salt)
	}
	if a.HasSeq {
		b = append(b, "3:seq"...)
		b = appendInt(b, a.Seq)
	}
	if a.HasSig {
		b = append(b, "3:sig64:"...)
		b = append(b, a.Sig[:]...)
	}
	if a.HasTarget {
		b = append(b, "6:target20:"...)
		b = append(b, a.Target[:]...)
	}
	if a.Token != nil {
		b = append(b, "5:token"...)
		b = appendStr(b, a.Token)
	}
	if a.V != nil {
		b = append(b, "1:v"...)
		b = append(b, a.V...)
	}
	if a.Want != 0 {
		b = append(b, "4:wantl"...)
		if a.Want&WantN4 != 0 {
			b = append(b, "2:n4"...)
		}
		if a.Want&WantN6 != 0 {
			b = append(b, "2:n6"...)
		}
		b = append(b, 'e')
	}
	b = append(b, "e1:q"...)
	b = appendStr(b, []byte(method.String()))
	if ro {
		b = append(b, "2:roi1e"...)
	}
	b = append(b, "1:t"...)
	b = appendStr(b, t)
	return append(b, "1:y1:qe"...)
}

// AppendReply appends a reply with values r to transaction t. ip, when
// valid, is where the asker's query came from (BEP 42's "ip").
func AppendReply(b, t []byte, r *Return, ip netip.AddrPort) []byte {
	b = append(b, 'd')
	if ip.IsValid() {
		b = append(b, "2:ip"...)
		if ip.Addr().Unmap().Is4() {
			b = append(b, "6:"...)
		} else {
			b = append(b, "18:"...)
		}
		b = AppendCompactAddr(b, ip)
	}
	b = append(b, "1:rd2:id20:"...)
	b = append(b, r.ID[:]...)
	if r.HasK {
		b = append(b, "1:k32:"...)
		b = append(b, r.K[:]...)
	}
	if r.Nodes != nil {
		b = append(b, "5:nodes"...)
		b = appendStr(b, r.Nodes)
	}
	if r.Nodes6 != nil {
		b = append(b, "6:nodes6"...)
		b = appendStr(b, r.Nodes6)
	}
	if r.HasSeq {
		b = append(b, "3:seq"...)
		b = appendInt(b, r.Seq)
	}
	if r.HasSig {
		b = append(b, "3:sig64:"...)
		b = append(b, r.Sig[:]...)
	}
	if r.Token != nil {
		b = append(b, "5:token"...)
		b = appendStr(b, r.Token)
	}
	if r.V != nil {
		b = append(b, "1:v"...)
		b = append(b, r.V...)
	}
	b = append(b, "e1:t"...)
	b = appendStr(b, t)
	return append(b, "1:y1:re"...)
}

// AppendError appends error e for transaction t.
func AppendError(b, t []byte, e Error) []byte {
	b = append(b, "d1:el"...)
	b = appendInt(b, int64(e.Code))
	b = appendStr(b, []byte(e.Msg))
	b = append(b, "e1:t"...)
	b = appendStr(b, t)
	return append(b, "1:y1:ee"...)
}

// AppendString appends s as a bencoded byte string.
func AppendString(b, s []byte) []byte { return appendStr(b, s) }

// Valid reports whether b is exactly one well-formed bencoded value no
// deeper than MaxDepth: what a BEP 44 "v" must be.
func Valid(b []byte) bool {
	d := decoder{b: b}
	return len(b) > 0 && d.skip(1) == nil && d.i == len(b)
}
