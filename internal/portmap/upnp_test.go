package portmap

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

const ssdpOK = "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\n" +
	"ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n" +
	"USN: uuid:3a7c1f2e::urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\n" +
	"EXT:\r\nSERVER: Debian UPnP/1.1 MiniUPnPd/2.3.1\r\n" +
	"LOCATION: http://192.168.77.1:5000/rootDesc.xml\r\n\r\n"

func TestParseSSDP(t *testing.T) {
	gw := netip.MustParseAddr("192.168.77.1")
	loc, err := parseSSDP([]byte(ssdpOK), gw)
	if err != nil || loc.String() != "http://192.168.77.1:5000/rootDesc.xml" {
		t.Fatalf("%v, %v", loc, err)
	}
	bad := map[string]string{
		"not HTTP":     "NOTIFY * HTTP/1.1\r\n\r\n",
		"an error":     strings.Replace(ssdpOK, "200 OK", "404 Not Found", 1),
		"no location":  strings.Replace(ssdpOK, "LOCATION", "X-LOC", 1),
		"https":        strings.Replace(ssdpOK, "http://", "https://", 1),
		"file":         strings.Replace(ssdpOK, "http://192.168.77.1:5000/rootDesc.xml", "file:///etc/passwd", 1),
		"another host": strings.Replace(ssdpOK, "192.168.77.1:5000", "192.168.77.2:5000", 1),
		"a name":       strings.Replace(ssdpOK, "192.168.77.1:5000", "router.example:5000", 1),
		"a bad URL":    strings.Replace(ssdpOK, "http://192.168.77.1:5000/rootDesc.xml", "http://[::1", 1),
		"truncated":    ssdpOK[:30],
	}
	for name, b := range bad {
		if loc, err := parseSSDP([]byte(b), gw); err == nil {
			t.Errorf("%s: took %v", name, loc)
		}
	}
}

// The router's bodies are cut at maxBody, and no proxy from the
// environment is used for it.
func TestRouterHTTP(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 3*maxBody)))
	}))
	defer srv.Close()
	resp, err := routerHTTP(netip.MustParseAddr("127.0.0.1")).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) != maxBody {
		t.Errorf("read %d bytes, want %d", len(b), maxBody)
	}
}
