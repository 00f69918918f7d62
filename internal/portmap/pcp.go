package portmap

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// PCP (RFC 6887): a MAP client, and ANNOUNCE to learn whether the gateway
// speaks it. Requests and responses are one datagram each, to and from
// port 5351 of the gateway.

const (
	pcpVersion      = 2
	pcpPort         = 5351
	pcpOpAnnounce   = 0
	pcpOpMap        = 1
	pcpResponseBit  = 0x80
	pcpHeaderLen    = 24
	pcpMapLen       = pcpHeaderLen + 36
	pcpMaxLen       = 1100 // RFC 6887 section 7: no PCP message is longer
	protoUDP        = 17
	pcpNonceLen     = 12
	pcpFirstTimeout = 250 * time.Millisecond
)

// PCP result codes (RFC 6887 section 7.4).
var pcpResults = [...]string{
	0: "SUCCESS", 1: "UNSUPP_VERSION", 2: "NOT_AUTHORIZED", 3: "MALFORMED_REQUEST",
	4: "UNSUPP_OPCODE", 5: "UNSUPP_OPTION", 6: "MALFORMED_OPTION", 7: "NETWORK_FAILURE",
	8: "NO_RESOURCES", 9: "UNSUPP_PROTOCOL", 10: "USER_EX_QUOTA",
	11: "CANNOT_PROVIDE_EXTERNAL", 12: "ADDRESS_MISMATCH", 13: "EXCESSIVE_REMOTE_PEERS",
}

// pcpResultError is a response with a result code other than SUCCESS.
type pcpResultError uint8

func (e pcpResultError) Error() string {
	if int(e) < len(pcpResults) {
		return fmt.Sprintf("result %d (%s)", uint8(e), pcpResults[e])
	}
	return fmt.Sprintf("result %d", uint8(e))
}

// errPCPVersion: the server answered in NAT-PMP (version 0), as a NAT-PMP
// server that does not speak PCP does (RFC 6887 section 9).
var errPCPVersion = errors.New("the gateway speaks NAT-PMP, not PCP")

// pcpResponse is a parsed PCP response. The MAP fields are set for a MAP
// response only.
type pcpResponse struct {
	opcode   uint8
	result   uint8
	lifetime uint32 // seconds
	epoch    uint32 // seconds since the server's state began

	nonce        [pcpNonceLen]byte
	protocol     uint8
	internalPort uint16
	externalPort uint16
	externalIP   netip.Addr
}

// parsePCP parses a response: b is untrusted, from the network. It returns
// an error, never panics, for anything that is not a well-formed PCP
// response of a known opcode.
func parsePCP(b []byte) (pcpResponse, error) {
	var r pcpResponse
	if len(b) >= 4 && b[0] == 0 {
		return r, errPCPVersion
	}
	if len(b) < pcpHeaderLen || len(b) > pcpMaxLen || len(b)%4 != 0 {
		return r, fmt.Errorf("pcp: response of %d bytes", len(b))
	}
	if b[0] != pcpVersion {
		return r, fmt.Errorf("pcp: version %d", b[0])
	}
	if b[1]&pcpResponseBit == 0 {
		return r, errors.New("pcp: a request, not a response")
	}
	r.opcode = b[1] &^ pcpResponseBit
	r.result = b[3]
	r.lifetime = binary.BigEndian.Uint32(b[4:8])
	r.epoch = binary.BigEndian.Uint32(b[8:12])
	switch r.opcode {
	case pcpOpAnnounce:
	case pcpOpMap:
		// An error response may come without the opcode's fields only if
		// the request was too short to hold them; ours never is.
		if len(b) < pcpMapLen {
			return r, fmt.Errorf("pcp: MAP response of %d bytes", len(b))
		}
		m := b[pcpHeaderLen:]
		copy(r.nonce[:], m[:pcpNonceLen])
		r.protocol = m[12]
		r.internalPort = binary.BigEndian.Uint16(m[16:18])
		r.externalPort = binary.BigEndian.Uint16(m[18:20])
		r.externalIP = netip.AddrFrom16([16]byte(m[20:36])).Unmap()
	default:
		return r, fmt.Errorf("pcp: opcode %d", r.opcode)
	}
	return r, nil
}

// pcpRequest encodes a request: ANNOUNCE, or MAP of UDP internalPort with
// the suggested external port (0: any) for lifetime seconds (0: delete).
func pcpRequest(op uint8, client netip.Addr, nonce [pcpNonceLen]byte, internalPort, externalPort uint16, lifetime uint32) []byte {
	n := pcpHeaderLen
	if op == pcpOpMap {
		n = pcpMapLen
	}
	b := make([]byte, n)
	b[0] = pcpVersion
	b[1] = op
	binary.BigEndian.PutUint32(b[4:8], lifetime)
	c := client.As16() // IPv4 as ::ffff:a.b.c.d
	copy(b[8:24], c[:])
	if op == pcpOpMap {
		m := b[pcpHeaderLen:]
		copy(m[:pcpNonceLen], nonce[:])
		m[12] = protoUDP
		binary.BigEndian.PutUint16(m[16:18], internalPort)
		binary.BigEndian.PutUint16(m[18:20], externalPort)
		any4 := netip.IPv4Unspecified().As16() // no preference: ::ffff:0.0.0.0
		copy(m[20:36], any4[:])
	}
	return b
}

// pcpClient maps through a PCP server.
type pcpClient struct {
	gateway netip.Addr
	local   netip.Addr
	port    uint16 // the server's port: pcpPort but in tests
	nonce   [pcpNonceLen]byte
	epoch   epochClock
}

func newPCPClient(gateway, local netip.Addr) *pcpClient {
	c := &pcpClient{gateway: gateway, local: local, port: pcpPort}
	_, _ = rand.Read(c.nonce[:]) // the same nonce for every request about our mapping
	return c
}

func (c *pcpClient) protocol() Protocol { return PCP }

// probe asks the gateway whether it speaks PCP (ANNOUNCE).
func (c *pcpClient) probe(ctx context.Context) error {
	r, err := c.call(ctx, pcpRequest(pcpOpAnnounce, c.local, c.nonce, 0, 0, 0), pcpOpAnnounce)
	if err != nil {
		return err
	}
	c.epoch.observe(r.epoch)
	return nil
}

func (c *pcpClient) add(ctx context.Context, internalPort, externalPort uint16, lease time.Duration) (grant, error) {
	r, err := c.call(ctx, pcpRequest(pcpOpMap, c.local, c.nonce, internalPort, externalPort, seconds(lease)), pcpOpMap)
	if err != nil {
		return grant{}, err
	}
	if r.lifetime == 0 || r.externalPort == 0 || !r.externalIP.Is4() {
		return grant{}, fmt.Errorf("pcp: the gateway granted %v:%d for %d s", r.externalIP, r.externalPort, r.lifetime)
	}
	c.epoch.observe(r.epoch)
	return grant{external: netip.AddrPortFrom(r.externalIP, r.externalPort), lease: time.Duration(r.lifetime) * time.Second}, nil
}

func (c *pcpClient) remove(ctx context.Context, internalPort, _ uint16) error {
	_, err := c.call(ctx, pcpRequest(pcpOpMap, c.local, c.nonce, internalPort, 0, 0), pcpOpMap)
	return err
}

// check tells whether the server lost its state (a restart: its epoch went
// back) since the last response.
func (c *pcpClient) check(ctx context.Context, _ grant) (lost bool, err error) {
	r, err := c.call(ctx, pcpRequest(pcpOpAnnounce, c.local, c.nonce, 0, 0, 0), pcpOpAnnounce)
	if err != nil {
		return false, err
	}
	return !c.epoch.observe(r.epoch), nil
}

// call sends req until a matching response arrives (250 ms, then twice as
// long each time) or ctx ends. A response that does not match the request
// (opcode, nonce, port) is ignored; an error result is returned as a
// pcpResultError.
func (c *pcpClient) call(ctx context.Context, req []byte, op uint8) (pcpResponse, error) {
	conn, err := net.DialUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.local, 0)),
		net.UDPAddrFromAddrPort(netip.AddrPortFrom(c.gateway, c.port)))
	if err != nil {
		return pcpResponse{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, pcpMaxLen+1)
	wait := pcpFirstTimeout
	for {
		if _, err := conn.Write(req); err != nil {
			return pcpResponse{}, ctxErr(ctx, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		if err := ctx.Err(); err != nil {
			return pcpResponse{}, err // ended before the deadline above replaced ctx's
		}
		for {
			n, err := conn.Read(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() && ctx.Err() == nil {
					break // send again
				}
				return pcpResponse{}, ctxErr(ctx, err)
			}
			r, err := parsePCP(buf[:n])
			if errors.Is(err, errPCPVersion) {
				return r, err
			}
			if err != nil || r.opcode != op {
				continue
			}
			if r.result != 0 {
				return r, pcpResultError(r.result)
			}
			if op == pcpOpMap && (r.nonce != c.nonce || r.protocol != protoUDP ||
				r.internalPort != binary.BigEndian.Uint16(req[pcpHeaderLen+16:])) {
				continue
			}
			return r, nil
		}
		wait *= 2
	}
}

// epochClock follows a PCP or NAT-PMP server's epoch: the seconds since it
// last lost its mappings (RFC 6887 section 8.5, RFC 6886 section 3.6).
type epochClock struct {
	server uint32
	at     time.Time
}

// observe records an epoch and reports whether it is consistent with the
// last one: false means the server restarted, and our mapping is gone.
func (e *epochClock) observe(server uint32) bool {
	now := time.Now()
	ok := true
	if !e.at.IsZero() {
		elapsed := uint32(now.Sub(e.at) / time.Second)
		// The server's clock may run a little slower than ours; a server
		// whose epoch is well short of where it should be has restarted.
		ok = server+2 >= e.server && uint64(server)+2 >= uint64(e.server)+uint64(elapsed)*7/8
	}
	e.server, e.at = server, now
	return ok
}

// seconds converts a lease to whole seconds, at least one.
func seconds(d time.Duration) uint32 {
	s := d / time.Second
	switch {
	case s < 1:
		return 1
	case s > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(s)
}

// ctxErr prefers the context's error to the one its end caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
