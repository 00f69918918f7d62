package portmap

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	natpmp "github.com/jackpal/go-nat-pmp"
)

// NAT-PMP (RFC 6886) through github.com/jackpal/go-nat-pmp. Its calls take
// no context: each is bounded by a timeout instead (natpmpTimeout, or what
// is left of ctx when that is sooner), and ctx is checked around them.

// natpmpTimeout bounds one NAT-PMP call: requests at 0, 250 and 750 ms,
// then a last wait.
const natpmpTimeout = 1500 * time.Millisecond

type natpmpClient struct {
	gateway netip.Addr
	local   netip.Addr
	ext     netip.Addr // from the last probe or check
	epoch   epochClock
}

func newNATPMPClient(gateway, local netip.Addr) *natpmpClient {
	return &natpmpClient{gateway: gateway, local: local}
}

func (c *natpmpClient) protocol() Protocol { return NATPMP }

func (c *natpmpClient) client(ctx context.Context) (*natpmp.Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	timeout := natpmpTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < timeout {
		timeout = max(time.Until(d), time.Millisecond)
	}
	return natpmp.NewClientWithLocalAndTimeout(net.IP(c.gateway.AsSlice()), net.IP(c.local.AsSlice()), timeout), nil
}

// external asks the gateway for its external address (and epoch).
func (c *natpmpClient) external(ctx context.Context) (netip.Addr, uint32, error) {
	cl, err := c.client(ctx)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	r, err := cl.GetExternalAddress()
	if err != nil {
		return netip.Addr{}, 0, ctxErr(ctx, fmt.Errorf("natpmp: %v", err))
	}
	ip := netip.AddrFrom4(r.ExternalIPAddress)
	if !ip.IsValid() || ip.IsUnspecified() {
		return netip.Addr{}, 0, fmt.Errorf("natpmp: the gateway has no external address")
	}
	return ip, r.SecondsSinceStartOfEpoc, nil
}

func (c *natpmpClient) probe(ctx context.Context) error {
	ip, epoch, err := c.external(ctx)
	if err != nil {
		return err
	}
	c.ext = ip
	c.epoch.observe(epoch)
	return nil
}

func (c *natpmpClient) add(ctx context.Context, internalPort, externalPort uint16, lease time.Duration) (grant, error) {
	if !c.ext.IsValid() {
		if err := c.probe(ctx); err != nil {
			return grant{}, err
		}
	}
	cl, err := c.client(ctx)
	if err != nil {
		return grant{}, err
	}
	r, err := cl.AddPortMapping("udp", int(internalPort), int(externalPort), int(seconds(lease)))
	if err != nil {
		return grant{}, ctxErr(ctx, fmt.Errorf("natpmp: %v", err))
	}
	if r.MappedExternalPort == 0 || r.PortMappingLifetimeInSeconds == 0 || r.InternalPort != internalPort {
		return grant{}, fmt.Errorf("natpmp: the gateway granted port %d for %d s", r.MappedExternalPort, r.PortMappingLifetimeInSeconds)
	}
	c.epoch.observe(r.SecondsSinceStartOfEpoc)
	return grant{
		external: netip.AddrPortFrom(c.ext, r.MappedExternalPort),
		lease:    time.Duration(r.PortMappingLifetimeInSeconds) * time.Second,
	}, nil
}

func (c *natpmpClient) remove(ctx context.Context, internalPort, _ uint16) error {
	cl, err := c.client(ctx)
	if err != nil {
		return err
	}
	// RFC 6886 section 3.4: lifetime 0 and external port 0 delete.
	if _, err := cl.AddPortMapping("udp", int(internalPort), 0, 0); err != nil {
		return ctxErr(ctx, fmt.Errorf("natpmp: %v", err))
	}
	return nil
}

// check learns the external address again; an epoch that went back means
// the gateway restarted and lost the mapping.
func (c *natpmpClient) check(ctx context.Context, g grant) (lost bool, err error) {
	ip, epoch, err := c.external(ctx)
	if err != nil {
		return false, err
	}
	c.ext = ip
	return !c.epoch.observe(epoch) || ip != g.external.Addr(), nil
}
