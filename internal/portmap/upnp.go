package portmap

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/huin/goupnp"
	"github.com/huin/goupnp/dcps/internetgateway2"
	"github.com/huin/goupnp/soap"
)

// UPnP IGD: an SSDP search of our own (answered within milliseconds by a
// router on the LAN, where goupnp's discovery always waits 2 s), the
// device description fetched with an HTTP client of our own (no proxy from
// the environment, bounded bodies), and goupnp's generated clients for
// WANIPConnection:2, then :1, then WANPPPConnection:1.

const (
	ssdpAddr = "239.255.255.250:1900"
	ssdpPort = 1900
	// ssdpWindow is how long a search waits for the gateway's answer.
	ssdpWindow = 2 * time.Second
	// maxBody bounds what is read of any HTTP body from the router.
	maxBody = 64 << 10
	// upnpDescription names our mappings in the router's table.
	upnpDescription = "scout DHT node"
	// upnpConflict: the external port is mapped to another client.
	upnpConflict = 718
	// upnpOnlyPermanent: the router takes leases of 0 (permanent) only.
	upnpOnlyPermanent = 725
	// upnpNoSuchEntry: no mapping for that external port.
	upnpNoSuchEntry = 714
)

// ssdpTargets are searched for, newest first: an IGD:2 also answers a
// search for IGD:1.
var ssdpTargets = []string{
	"urn:schemas-upnp-org:device:InternetGatewayDevice:2",
	"urn:schemas-upnp-org:device:InternetGatewayDevice:1",
}

// parseSSDP parses an SSDP search response (HTTP over UDP): b is
// untrusted, from the network. It returns the device description's URL,
// which must be plain HTTP on the responder's own address, from.
func parseSSDP(b []byte, from netip.Addr) (*url.URL, error) {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
	if err != nil {
		return nil, fmt.Errorf("ssdp: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ssdp: status %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return nil, fmt.Errorf("ssdp: location: %v", err)
	}
	if loc.Scheme != "http" {
		return nil, fmt.Errorf("ssdp: location %q is not http", loc.Redacted())
	}
	host, err := netip.ParseAddr(loc.Hostname())
	if err != nil || host.Unmap() != from.Unmap() {
		return nil, fmt.Errorf("ssdp: location %q is not on the responder %v", loc.Redacted(), from)
	}
	return loc, nil
}

// ssdpSearch looks for an Internet gateway device from local: by multicast
// and by unicast to the gateway. The gateway's answer ends the search at
// once; without one, the first other answer is used once the window ends.
func ssdpSearch(ctx context.Context, local, gateway netip.Addr) (*url.URL, error) {
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(local, 0)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	group := net.UDPAddrFromAddrPort(netip.MustParseAddrPort(ssdpAddr))
	direct := net.UDPAddrFromAddrPort(netip.AddrPortFrom(gateway, ssdpPort))
	send := func() {
		for _, st := range ssdpTargets {
			req := []byte("M-SEARCH * HTTP/1.1\r\nHOST: " + ssdpAddr + "\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: " + st + "\r\n\r\n")
			_, _ = conn.WriteToUDP(req, group)
			_, _ = conn.WriteToUDP(req, direct)
		}
	}
	end := time.Now().Add(ssdpWindow)
	resend := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}
	send()
	next := time.Now().Add(resend[0])
	var other *url.URL
	buf := make([]byte, 2048)
	for {
		_ = conn.SetReadDeadline(minTime(next, end))
		if err := ctx.Err(); err != nil {
			return nil, err // ended before the deadline above replaced ctx's
		}
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() || ctx.Err() != nil {
				return nil, ctxErr(ctx, err)
			}
			if !time.Now().Before(end) {
				if other != nil {
					return other, nil
				}
				return nil, errors.New("upnp: no Internet gateway device answered")
			}
			if len(resend) > 1 {
				send()
				resend = resend[1:]
				next = time.Now().Add(resend[0])
			} else {
				next = end
			}
			continue
		}
		loc, err := parseSSDP(buf[:n], from.Addr())
		if err != nil {
			continue
		}
		if from.Addr().Unmap() == gateway {
			return loc, nil
		}
		if other == nil {
			other = loc
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// igd is what we use of a WANIPConnection or WANPPPConnection client.
type igd interface {
	AddPortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string,
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32) error
	DeletePortMappingCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) error
	GetExternalIPAddressCtx(ctx context.Context) (string, error)
	GetSpecificPortMappingEntryCtx(ctx context.Context, remoteHost string, externalPort uint16, protocol string) (
		internalPort uint16, internalClient string, enabled bool, description string, lease uint32, err error)
	GetServiceClient() *goupnp.ServiceClient
}

// upnpClient maps through an Internet gateway device.
type upnpClient struct {
	gateway netip.Addr
	local   netip.Addr // our address on the device's side
	http    *http.Client
	dev     igd
	v2      *internetgateway2.WANIPConnection2 // set when the device has it: AddAnyPortMapping
	service string                             // its service type, for logs
	ext     netip.Addr
	// The ports remove deletes: the one granted, and the one of an
	// AddPortMapping left unanswered (it may have been made). A port
	// refused as taken (718) is another host's, never deleted.
	granted, asking uint16
}

func newUPnPClient(gateway, local netip.Addr) *upnpClient {
	return &upnpClient{gateway: gateway, local: local, http: routerHTTP(local)}
}

// routerHTTP is the HTTP client that talks to the router: from our
// address local (a router in secure mode maps only for the address that
// asks), with no proxy from the environment (the router is on the LAN),
// and bodies cut at maxBody.
func routerHTTP(local netip.Addr) *http.Client {
	return &http.Client{
		Transport: limitBodies{&http.Transport{
			Proxy: nil,
			DialContext: (&net.Dialer{
				Timeout:   3 * time.Second,
				LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)),
			}).DialContext,
			ResponseHeaderTimeout:  5 * time.Second,
			MaxResponseHeaderBytes: maxBody,
			DisableKeepAlives:      true,
		}},
		Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("upnp: the router redirected")
		},
	}
}

// limitBodies cuts every response body at maxBody bytes.
type limitBodies struct{ rt http.RoundTripper }

func (l limitBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.rt.RoundTrip(req)
	if err == nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxBody), resp.Body}
	}
	return resp, err
}

func (c *upnpClient) protocol() Protocol { return UPnP }

// probe finds the device, reads its description, picks its connection
// service and asks for the external address.
func (c *upnpClient) probe(ctx context.Context) error {
	loc, err := ssdpSearch(ctx, c.local, c.gateway)
	if err != nil {
		return err
	}
	// Our address as the device sees it, when the device is not the
	// gateway: the route to the device.
	if host, err := netip.ParseAddr(loc.Hostname()); err == nil && host.Unmap() != c.gateway {
		if l, err := localAddrTo(host.Unmap()); err == nil && l != c.local {
			c.local, c.http = l, routerHTTP(l)
		}
	}
	root, err := c.describe(ctx, loc)
	if err != nil {
		return err
	}
	if err := c.pick(root, loc); err != nil {
		return err
	}
	ip, err := c.external(ctx)
	if err != nil {
		return err
	}
	c.ext = ip
	return nil
}

// describe fetches and decodes the root device description.
func (c *upnpClient) describe(ctx context.Context, loc *url.URL) (*goupnp.RootDevice, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("upnp: %v", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upnp: %s: %s", loc.Redacted(), resp.Status)
	}
	root := new(goupnp.RootDevice)
	dec := xml.NewDecoder(resp.Body)
	dec.DefaultSpace = goupnp.DeviceXMLNamespace
	if err := dec.Decode(root); err != nil {
		return nil, fmt.Errorf("upnp: the device description: %v", err)
	}
	base := loc
	if root.URLBaseStr != "" {
		if base, err = url.Parse(root.URLBaseStr); err != nil {
			return nil, fmt.Errorf("upnp: the device's URLBase: %v", err)
		}
	}
	root.SetURLBase(base)
	return root, nil
}

// pick chooses WANIPConnection:2, :1 or WANPPPConnection:1, the first the
// device offers with a control URL on the device's own host.
func (c *upnpClient) pick(root *goupnp.RootDevice, loc *url.URL) error {
	var found []igd
	if cs, err := internetgateway2.NewWANIPConnection2ClientsFromRootDevice(root, loc); err == nil {
		for _, cl := range cs {
			found = append(found, cl)
		}
	}
	if cs, err := internetgateway2.NewWANIPConnection1ClientsFromRootDevice(root, loc); err == nil {
		for _, cl := range cs {
			found = append(found, cl)
		}
	}
	if cs, err := internetgateway2.NewWANPPPConnection1ClientsFromRootDevice(root, loc); err == nil {
		for _, cl := range cs {
			found = append(found, cl)
		}
	}
	for _, d := range found {
		sc := d.GetServiceClient()
		if sc.SOAPClient == nil || sc.SOAPClient.EndpointURL.Scheme != "http" || sc.SOAPClient.EndpointURL.Host != loc.Host {
			continue // a control URL elsewhere: not one we send requests to
		}
		sc.SOAPClient.HTTPClient = *c.http
		c.dev = d
		c.v2, _ = d.(*internetgateway2.WANIPConnection2)
		c.service = sc.Service.ServiceType
		return nil
	}
	return errors.New("upnp: the device offers no WANIPConnection or WANPPPConnection service")
}

func (c *upnpClient) external(ctx context.Context) (netip.Addr, error) {
	s, err := c.dev.GetExternalIPAddressCtx(ctx)
	if err != nil {
		return netip.Addr{}, ctxErr(ctx, fmt.Errorf("upnp: GetExternalIPAddress: %v", soapError(err)))
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Unmap().Is4() || ip.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("upnp: the gateway has no external address (%q)", s)
	}
	return ip.Unmap(), nil
}

// add maps externalPort, or another when it is taken: AddAnyPortMapping
// where the device has it, else a few random ports. A router that takes
// only permanent leases gets one (we still delete it on stop).
func (c *upnpClient) add(ctx context.Context, internalPort, externalPort uint16, lease time.Duration) (grant, error) {
	if c.dev == nil {
		return grant{}, errors.New("upnp: no device")
	}
	secs := seconds(lease)
	port := externalPort
	for try := 0; ; try++ {
		c.asking = port
		err := c.dev.AddPortMappingCtx(ctx, "", port, "UDP", internalPort, c.local.String(), true, upnpDescription, secs)
		if err == nil || upnpCode(err) != 0 {
			c.asking = 0 // answered
		}
		if upnpCode(err) == upnpOnlyPermanent && secs != 0 {
			secs = 0
			continue
		}
		if err == nil {
			c.granted = port
			l := time.Duration(secs) * time.Second
			return grant{external: netip.AddrPortFrom(c.ext, port), lease: l}, nil
		}
		if upnpCode(err) != upnpConflict || try >= 4 {
			return grant{}, ctxErr(ctx, fmt.Errorf("upnp: AddPortMapping %d: %v", port, soapError(err)))
		}
		if c.v2 != nil && try == 0 {
			got, err := c.v2.AddAnyPortMappingCtx(ctx, "", port, "UDP", internalPort, c.local.String(), true, upnpDescription, secs)
			if err != nil && upnpCode(err) == 0 {
				// Unanswered: a port may have been reserved, we cannot
				// know which; it expires with its lease.
				return grant{}, ctxErr(ctx, fmt.Errorf("upnp: AddAnyPortMapping: %v", err))
			}
			if err == nil && got != 0 {
				c.granted = got
				return grant{external: netip.AddrPortFrom(c.ext, got), lease: time.Duration(secs) * time.Second}, nil
			}
		}
		port = uint16(1024 + rand.IntN(65535-1024))
	}
}

func (c *upnpClient) remove(ctx context.Context, _, _ uint16) error {
	if c.dev == nil {
		return errors.New("upnp: no device")
	}
	ports := []uint16{c.granted}
	if c.asking != c.granted {
		ports = append(ports, c.asking)
	}
	var errs []error
	for _, p := range ports {
		if p == 0 {
			continue
		}
		if err := c.dev.DeletePortMappingCtx(ctx, "", p, "UDP"); err != nil && upnpCode(err) != upnpNoSuchEntry {
			errs = append(errs, ctxErr(ctx, fmt.Errorf("upnp: DeletePortMapping %d: %v", p, soapError(err))))
		}
	}
	c.granted, c.asking = 0, 0
	return errors.Join(errs...)
}

// check asks whether our entry is still there, for us, and for the
// external address.
func (c *upnpClient) check(ctx context.Context, g grant) (lost bool, err error) {
	port, client, _, _, _, err := c.dev.GetSpecificPortMappingEntryCtx(ctx, "", g.external.Port(), "UDP")
	switch {
	case upnpCode(err) == upnpNoSuchEntry:
		return true, nil
	case err != nil:
		return false, ctxErr(ctx, fmt.Errorf("upnp: GetSpecificPortMappingEntry: %v", soapError(err)))
	}
	ip, err := c.external(ctx)
	if err != nil {
		return false, err
	}
	c.ext = ip
	return client != c.local.String() || ip != g.external.Addr() || port == 0, nil
}

// upnpCode returns the UPnP error code of a SOAP fault, or 0.
func upnpCode(err error) int {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) {
		return f.Detail.UPnPError.Errorcode
	}
	return 0
}

// soapError shortens a SOAP fault to its UPnP code and description.
func soapError(err error) error {
	var f *soap.SOAPFaultError
	if errors.As(err, &f) && f.Detail.UPnPError.Errorcode != 0 {
		return fmt.Errorf("error %d %s", f.Detail.UPnPError.Errorcode, strconv.Quote(f.Detail.UPnPError.ErrorDescription))
	}
	return err
}
