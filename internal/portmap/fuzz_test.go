package portmap

import (
	"net/netip"
	"testing"
)

// FuzzParsePCP: no input panics the PCP response parser, and what it
// accepts encodes back to what it read.
func FuzzParsePCP(f *testing.F) {
	f.Add(pcpResponseBytes(pcpResponse{opcode: pcpOpMap, lifetime: 7200, epoch: 1, nonce: [12]byte{1}, protocol: protoUDP,
		internalPort: 4000, externalPort: 4000, externalIP: netip.MustParseAddr("10.99.0.2")}))
	f.Add(pcpResponseBytes(pcpResponse{opcode: pcpOpAnnounce, epoch: 5}))
	f.Add(pcpResponseBytes(pcpResponse{opcode: pcpOpMap, result: 8}))
	f.Add([]byte{0, 0x80, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{2, 0x81})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parsePCP(b)
		if err != nil {
			return
		}
		if r.opcode == pcpOpMap {
			r2, err := parsePCP(pcpResponseBytes(r))
			if err != nil || r2 != r {
				t.Fatalf("re-encoded %+v parses as %+v, %v", r, r2, err)
			}
		}
	})
}

// FuzzParseSSDP: no input panics the SSDP response parser, and a location
// it accepts is plain HTTP on the responder.
func FuzzParseSSDP(f *testing.F) {
	f.Add([]byte(ssdpOK))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLOCATION: http://192.168.77.1/\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nLOCATION: http://192.168.77.1:5000/%zz\r\n\r\n"))
	f.Add([]byte("HTTP/1.0 200\r\nLocation:http://[::ffff:192.168.77.1]:1/\r\n\r\n"))
	from := netip.MustParseAddr("192.168.77.1")
	f.Fuzz(func(t *testing.T, b []byte) {
		loc, err := parseSSDP(b, from)
		if err != nil {
			return
		}
		host, perr := netip.ParseAddr(loc.Hostname())
		if loc.Scheme != "http" || perr != nil || host.Unmap() != from {
			t.Fatalf("took %v", loc)
		}
	})
}
