package krpc

import "fmt"

// DecodeError says why a datagram was refused and where.
type DecodeError struct {
	Offset int
	Reason string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("krpc: malformed message at byte %d: %s", e.Offset, e.Reason)
}

// Decode reads one datagram into m, which it resets first. The slices m
// holds point into b.
//
// Bencoding that is broken (a string running past the end, a non-canonical
// integer, nesting deeper than MaxDepth, bytes after the message) stops the
// decoder at once. A well-formed message whose known keys have the wrong
// type or size, or that lacks what its kind and method require, is read to
// its end and refused with the first such fault: m then still holds its
// "t", "y" and "q", so that a query can be answered with a protocol error.
func Decode(b []byte, m *Msg) error {
	*m = Msg{}
	if len(b) > MaxDatagram {
		return &DecodeError{MaxDatagram, fmt.Sprintf("datagram of %d bytes, more than %d", len(b), MaxDatagram)}
	}
	d := decoder{b: b}
	if err := d.message(m); err != nil {
		return err
	}
	if d.i != len(b) {
		return d.fail("bytes after the message")
	}
	if d.invalid != nil {
		return d.invalid
	}
	return d.check(m)
}

// decoder walks a datagram. Structural faults return an error at once;
// faults of type or size in known keys are remembered in invalid (the
// first one) while decoding goes on.
type decoder struct {
	b       []byte
	i       int
	invalid *DecodeError
	// The sections seen, whatever their contents.
	sawQ, sawA, sawR, sawE bool
}

func (d *decoder) fail(reason string) error { return &DecodeError{d.i, reason} }

func (d *decoder) bad(at int, reason string) {
	if d.invalid == nil {
		d.invalid = &DecodeError{at, reason}
	}
}

func (d *decoder) peek() byte {
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// str reads a byte string: a canonical decimal length, ':', and that many
// bytes, which must all be left in the datagram.
func (d *decoder) str() ([]byte, error) {
	start, n := d.i, 0
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		if d.i > start && d.b[start] == '0' {
			return nil, d.fail("string length with a leading zero")
		}
		n = n*10 + int(d.b[d.i]-'0')
		d.i++
		if n > len(d.b) {
			return nil, d.fail("string longer than the datagram")
		}
	}
	if d.i == start {
		return nil, d.fail("expected a string")
	}
	if d.i >= len(d.b) || d.b[d.i] != ':' {
		return nil, d.fail("no ':' after a string length")
	}
	d.i++
	if n > len(d.b)-d.i {
		return nil, d.fail("string longer than what is left of the datagram")
	}
	s := d.b[d.i : d.i+n : d.i+n]
	d.i += n
	return s, nil
}

// integer reads "i<canonical decimal>e" that fits an int64.
func (d *decoder) integer() (int64, error) {
	if d.peek() != 'i' {
		return 0, d.fail("expected an integer")
	}
	d.i++
	neg := false
	if d.peek() == '-' {
		neg = true
		d.i++
	}
	start := d.i
	var u uint64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		if d.i > start && d.b[start] == '0' {
			return 0, d.fail("integer with a leading zero")
		}
		digit := uint64(d.b[d.i] - '0')
		if u > (1<<63-digit)/10 {
			return 0, d.fail("integer out of range")
		}
		u = u*10 + digit
		d.i++
	}
	switch {
	case d.i == start:
		return 0, d.fail("integer without digits")
	case d.peek() != 'e':
		return 0, d.fail("integer not ended by 'e'")
	case neg && u == 0:
		return 0, d.fail("negative zero")
	case !neg && u == 1<<63:
		return 0, d.fail("integer out of range")
	}
	d.i++
	if neg {
		return -int64(u), nil
	}
	return int64(u), nil
}

// skip reads one value of any type, depth being the nesting it sits at.
func (d *decoder) skip(depth int) error {
	if depth > MaxDepth {
		return d.fail("nested too deep")
	}
	switch c := d.peek(); {
	case c == 'i':
		_, err := d.integer()
		return err
	case c >= '0' && c <= '9':
		_, err := d.str()
		return err
	case c == 'l':
		d.i++
		for d.peek() != 'e' {
			if d.i >= len(d.b) {
				return d.fail("unterminated list")
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		d.i++
		return nil
	case c == 'd':
		d.i++
		for d.peek() != 'e' {
			if d.i >= len(d.b) {
				return d.fail("unterminated dictionary")
			}
			if _, err := d.str(); err != nil {
				return err
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
		d.i++
		return nil
	case d.i >= len(d.b):
		return d.fail("unexpected end of datagram")
	default:
		return d.fail(fmt.Sprintf("unexpected byte %q", c))
	}
}

// value reads one value of any type and returns its encoding, verbatim.
func (d *decoder) value(depth int) ([]byte, error) {
	start := d.i
	if err := d.skip(depth); err != nil {
		return nil, err
	}
	return d.b[start:d.i:d.i], nil
}

// dict reads a dictionary at depth, calling field for each key; field must
// consume the key's value. A key seen twice is refused.
func (d *decoder) dict(depth int, field func(key []byte, depth int) error) error {
	if depth > MaxDepth {
		return d.fail("nested too deep")
	}
	if d.peek() != 'd' {
		return d.fail("expected a dictionary")
	}
	d.i++
	var prev []byte
	for d.peek() != 'e' {
		if d.i >= len(d.b) {
			return d.fail("unterminated dictionary")
		}
		at := d.i
		key, err := d.str()
		if err != nil {
			return err
		}
		if prev != nil && string(key) == string(prev) {
			return &DecodeError{at, fmt.Sprintf("key %q twice", key)}
		}
		prev = key
		if err := field(key, depth+1); err != nil {
			return err
		}
	}
	d.i++
	return nil
}

// The typed readers below take a known key's value. A value of the wrong
// type or size is skipped and remembered as the message's fault.

func (d *decoder) bytesOf(depth int, key string, maxLen int) ([]byte, error) {
	at := d.i
	if c := d.peek(); c < '0' || c > '9' {
		d.bad(at, key+" is not a string")
		return nil, d.skip(depth)
	}
	s, err := d.str()
	if err == nil && len(s) > maxLen {
		d.bad(at, fmt.Sprintf("%s of %d bytes, more than %d", key, len(s), maxLen))
		return nil, nil
	}
	return s, err
}

func (d *decoder) fixed(depth int, key string, dst []byte) (bool, error) {
	at := d.i
	s, err := d.bytesOf(depth, key, MaxDatagram)
	if err != nil || s == nil {
		return false, err
	}
	if len(s) != len(dst) {
		d.bad(at, fmt.Sprintf("%s of %d bytes, not %d", key, len(s), len(dst)))
		return false, nil
	}
	copy(dst, s)
	return true, nil
}

func (d *decoder) intOf(depth int, key string) (int64, bool, error) {
	if d.peek() != 'i' {
		d.bad(d.i, key+" is not an integer")
		return 0, false, d.skip(depth)
	}
	v, err := d.integer()
	return v, err == nil, err
}

// compactOf reads a compact list whose length is a multiple of size.
func (d *decoder) compactOf(depth int, key string, size int) ([]byte, error) {
	at := d.i
	s, err := d.bytesOf(depth, key, MaxDatagram)
	if err == nil && s != nil && len(s)%size != 0 {
		d.bad(at, fmt.Sprintf("%s of %d bytes, not a multiple of %d", key, len(s), size))
		return nil, nil
	}
	return s, err
}

func (d *decoder) message(m *Msg) error {
	return d.dict(1, func(key []byte, depth int) error {
		var err error
		switch string(key) {
		case "t":
			at := d.i
			if m.T, err = d.bytesOf(depth, "t", MaxTransactionID); err == nil && m.T != nil && len(m.T) == 0 {
				d.bad(at, "empty t")
			}
		case "y":
			at := d.i
			var y []byte
			if y, err = d.bytesOf(depth, "y", 1); err == nil && y != nil {
				if len(y) == 1 && (y[0] == 'q' || y[0] == 'r' || y[0] == 'e') {
					m.Y = Kind(y[0])
				} else {
					d.bad(at, "y is not q, r or e")
				}
			}
		case "q":
			var q []byte
			if q, err = d.bytesOf(depth, "q", MaxDatagram); err == nil && q != nil {
				m.Q = methodOf(q)
				d.sawQ = true
			}
		case "a":
			d.sawA = true
			err = d.args(depth, &m.A)
		case "r":
			d.sawR = true
			err = d.ret(depth, &m.R)
		case "e":
			d.sawE = true
			err = d.errorList(depth, &m.E)
		case "ro":
			var ro int64
			var ok bool
			if ro, ok, err = d.intOf(depth, "ro"); ok {
				m.RO = ro == 1
			}
		case "ip":
			at := d.i
			var ip []byte
			if ip, err = d.bytesOf(depth, "ip", MaxDatagram); err == nil && ip != nil {
				if len(ip) == 6 || len(ip) == 18 {
					m.IP = addrFromCompact(ip)
				} else {
					d.bad(at, fmt.Sprintf("ip of %d bytes, not 6 or 18", len(ip)))
				}
			}
		default:
			err = d.skip(depth)
		}
		return err
	})
}

// section reads a known key's dictionary ("a" or "r") at depth; a value
// that is not a dictionary is skipped and remembered as the message's fault.
func (d *decoder) section(depth int, key string, field func(key []byte, depth int) error) error {
	if d.peek() != 'd' {
		d.bad(d.i, key+" is not a dictionary")
		return d.skip(depth)
	}
	return d.dict(depth, field)
}

func (d *decoder) args(depth int, a *Args) error {
	return d.section(depth, "a", func(key []byte, depth int) error {
		var err error
		switch string(key) {
		case "id":
			a.HasID, err = d.fixed(depth, "id", a.ID[:])
		case "target":
			a.HasTarget, err = d.fixed(depth, "target", a.Target[:])
		case "info_hash":
			a.HasInfoHash, err = d.fixed(depth, "info_hash", a.InfoHash[:])
		case "token":
			a.Token, err = d.bytesOf(depth, "token", MaxToken)
		case "v":
			a.V, err = d.value(depth)
		case "k":
			a.HasK, err = d.fixed(depth, "k", a.K[:])
		case "sig":
			a.HasSig, err = d.fixed(depth, "sig", a.Sig[:])
		case "salt":
			a.Salt, err = d.bytesOf(depth, "salt", MaxDatagram)
		case "seq":
			a.Seq, a.HasSeq, err = d.intOf(depth, "seq")
		case "cas":
			a.Cas, a.HasCas, err = d.intOf(depth, "cas")
		case "port":
			at := d.i
			a.Port, a.HasPort, err = d.intOf(depth, "port")
			if a.HasPort && (a.Port < 0 || a.Port > 65535) {
				d.bad(at, "port out of range")
				a.HasPort = false
			}
		case "implied_port":
			var v int64
			v, _, err = d.intOf(depth, "implied_port")
			a.Implied = v == 1
		case "want":
			err = d.want(depth, &a.Want)
		default:
			err = d.skip(depth)
		}
		return err
	})
}

// list reads a known key's list at depth, calling elem for each element
// (which must consume it); a value that is not a list is skipped and
// remembered as the message's fault.
func (d *decoder) list(depth int, key string, elem func(depth int) error) error {
	if d.peek() != 'l' {
		d.bad(d.i, key+" is not a list")
		return d.skip(depth)
	}
	d.i++
	for d.peek() != 'e' {
		if d.i >= len(d.b) {
			return d.fail("unterminated list")
		}
		if err := elem(depth + 1); err != nil {
			return err
		}
	}
	d.i++
	return nil
}

// want reads BEP 32's list of address families.
func (d *decoder) want(depth int, w *Want) error {
	return d.list(depth, "want", func(depth int) error {
		s, err := d.bytesOf(depth, "want's element", MaxDatagram)
		switch string(s) {
		case "n4":
			*w |= WantN4
		case "n6":
			*w |= WantN6
		}
		return err
	})
}

func (d *decoder) ret(depth int, r *Return) error {
	return d.section(depth, "r", func(key []byte, depth int) error {
		var err error
		switch string(key) {
		case "id":
			r.HasID, err = d.fixed(depth, "id", r.ID[:])
		case "nodes":
			r.Nodes, err = d.compactOf(depth, "nodes", NodeInfo4Size)
		case "nodes6":
			r.Nodes6, err = d.compactOf(depth, "nodes6", NodeInfo6Size)
		case "token":
			r.Token, err = d.bytesOf(depth, "token", MaxToken)
		case "v":
			r.V, err = d.value(depth)
		case "k":
			r.HasK, err = d.fixed(depth, "k", r.K[:])
		case "sig":
			r.HasSig, err = d.fixed(depth, "sig", r.Sig[:])
		case "seq":
			r.Seq, r.HasSeq, err = d.intOf(depth, "seq")
		case "values":
			err = d.values(depth, &r.Values)
		default:
			err = d.skip(depth)
		}
		return err
	})
}

// values reads get_peers' list of compact peer addresses (6 or 18 bytes
// each), keeping only their count.
func (d *decoder) values(depth int, n *int) error {
	return d.list(depth, "values", func(depth int) error {
		at := d.i
		s, err := d.bytesOf(depth, "a peer address", MaxDatagram)
		if s != nil && len(s) != 6 && len(s) != 18 {
			d.bad(at, fmt.Sprintf("peer address of %d bytes, not 6 or 18", len(s)))
		}
		*n++
		return err
	})
}

// errorList reads "e": a list of an integer code and a string message.
func (d *decoder) errorList(depth int, e *Error) error {
	at := d.i
	if d.peek() != 'l' {
		d.bad(at, "e is not a list")
		return d.skip(depth)
	}
	d.i++
	code, ok, err := d.intOf(depth+1, "the error code")
	if err != nil {
		return err
	}
	msg, err := d.bytesOf(depth+1, "the error message", MaxDatagram)
	if err != nil {
		return err
	}
	if d.peek() != 'e' {
		d.bad(at, "e has more than a code and a message")
		for d.peek() != 'e' {
			if d.i >= len(d.b) {
				return d.fail("unterminated list")
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
		}
	}
	d.i++
	if ok && code >= 0 && code <= 1<<31-1 {
		e.Code, e.Msg = int(code), string(msg)
	} else if ok {
		d.bad(at, "error code out of range")
	}
	return nil
}

// check refuses a message that lacks what its kind and method require.
func (d *decoder) check(m *Msg) error {
	fail := func(reason string) error { return &DecodeError{len(d.b), reason} }
	if m.T == nil {
		return fail("no t")
	}
	switch m.Y {
	case 0:
		return fail("no y")
	case KindReply:
		if !d.sawR {
			return fail("a reply without r")
		}
		if !m.R.HasID {
			return fail("a reply without an id")
		}
		return nil
	case KindError:
		if !d.sawE {
			return fail("an error without e")
		}
		return nil
	}
	if !d.sawQ {
		return fail("a query without q")
	}
	if !d.sawA {
		return fail("a query without a")
	}
	a := &m.A
	if !a.HasID {
		return fail("a query without an id")
	}
	switch m.Q {
	case MethodFindNode, MethodGet:
		if !a.HasTarget {
			return fail(m.Q.String() + " without a target")
		}
	case MethodGetPeers:
		if !a.HasInfoHash {
			return fail("get_peers without an info_hash")
		}
	case MethodAnnouncePeer:
		if !a.HasInfoHash || a.Token == nil || !a.HasPort && !a.Implied {
			return fail("announce_peer without info_hash, token or port")
		}
	case MethodPut:
		if a.Token == nil || a.V == nil {
			return fail("put without a token or a v")
		}
		if a.HasK != a.HasSig || a.HasK && !a.HasSeq {
			return fail("a mutable put needs k, sig and seq together")
		}
	}
	return nil
}
