package portmap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/jackpal/gateway"
)

// defaultGateway returns the IPv4 gateway of the default route.
func defaultGateway() (netip.Addr, error) {
	ip, err := gateway.DiscoverGateway()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no default gateway: %v", err)
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok || !a.Unmap().Is4() || a.IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("no IPv4 default gateway (%v)", ip)
	}
	return a.Unmap(), nil
}

// localAddrTo returns the local address the kernel would send from to
// reach to (a UDP "connect" sends nothing).
func localAddrTo(to netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(to, pcpPort)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, errors.New("no local address")
	}
	return ua.AddrPort().Addr().Unmap(), nil
}

// route is where mappings are asked for: the gateway and our address
// towards it.
type route struct {
	gateway netip.Addr
	local   netip.Addr
}

// findRoute finds the gateway (cfg.Gateway, or the default route's) and
// our address towards it (cfg.Local when it is set and not unspecified).
func findRoute(gw, local netip.Addr) (route, error) {
	var err error
	if !gw.IsValid() {
		if gw, err = defaultGateway(); err != nil {
			return route{}, err
		}
	}
	if !local.IsValid() || local.IsUnspecified() {
		if local, err = localAddrTo(gw); err != nil {
			return route{}, fmt.Errorf("no route to the gateway %v: %v", gw, err)
		}
	}
	return route{gateway: gw, local: local}, nil
}
