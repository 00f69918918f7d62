package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// wanFlags are the swarm flags that put it on the emulated WAN.
var wanFlags = []string{"rtt", "max-rtt", "loss", "jitter", "seed", "kill", "kill-after"}

// swarmWAN checks the WAN flags and returns the model they describe, nil
// when none is given.
func swarmWAN(c *cli) (*swarm.WAN, error) {
	if !slices.ContainsFunc(wanFlags, func(f string) bool { return c.given[f] }) {
		return nil, nil
	}
	switch {
	case c.rtt < 0:
		return nil, usagef("--rtt must not be negative, got %v", c.rtt)
	case c.maxRTT < 0:
		return nil, usagef("--max-rtt must not be negative, got %v", c.maxRTT)
	case !(c.loss >= 0 && c.loss < 1): // NaN too
		return nil, usagef("--loss must be from 0 to below 1, got %v", c.loss)
	case !(c.jitter >= 0) || math.IsInf(c.jitter, 0):
		return nil, usagef("--jitter must be a number from 0, got %v", c.jitter)
	case c.given["kill"] && !(c.kill > 0 && c.kill <= 1):
		return nil, usagef("--kill must be above 0 and at most 1, got %v", c.kill)
	case c.given["kill-after"] && !c.given["kill"]:
		return nil, usagef("--kill-after needs --kill")
	case c.killAfter < 0:
		return nil, usagef("--kill-after must not be negative, got %v", c.killAfter)
	}
	return &swarm.WAN{RTT: c.rtt, MaxRTT: c.maxRTT, Jitter: c.jitter, Loss: c.loss, Seed: c.seed}, nil
}

// describeWAN says what the model is, for the ready line.
func describeWAN(w *swarm.WAN) string {
	if w == nil {
		return ""
	}
	return fmt.Sprintf(" on an emulated internet (round trips %v median, %.3g %% loss, jitter %.3g, seed %d)", w.RTT, 100*w.Loss, w.Jitter, w.Seed)
}

// swarmCmd runs a loopback swarm until the context ends (SIGINT, SIGTERM)
// or --for passes. Its first line of output is the bootstrap address; with
// --kill, a second one says whom it killed.
func swarmCmd(ctx context.Context, c *cli, _ []string) error {
	if c.nodes < 1 {
		return usagef("--nodes must be at least 1, got %d", c.nodes)
	}
	if c.port < 0 || c.port > 65535 {
		return usagef("--port must be from 0 to 65535, got %d", c.port)
	}
	if c.dur < 0 {
		return usagef("--for must not be negative, got %v", c.dur)
	}
	if c.itemTTL < 0 {
		return usagef("--item-ttl must not be negative, got %v", c.itemTTL)
	}
	wan, err := swarmWAN(c)
	if err != nil {
		return err
	}
	start := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, c.timeout)
	sw, err := swarm.Start(startCtx, swarm.Options{Nodes: c.nodes, Port: c.port, IPv6: c.ipv6, WAN: wan, Store: scout.StoreLimits{TTL: c.itemTTL}})
	cancel()
	if err != nil {
		return fmt.Errorf("starting the swarm: %w", err)
	}
	if c.stats {
		// After the Close below, which runs first: every counter final.
		defer func() { c.statsOut = newSwarmStats(sw) }()
	}
	defer sw.Close()

	// The first line goes out at once (os.Stdout is not buffered): scripts
	// wait for it before they use the swarm.
	if c.json {
		err = c.printJSON(struct {
			Bootstrap string `json:"bootstrap"`
		}{sw.Bootstrap()})
	} else {
		_, err = fmt.Fprintf(c.stdout, "bootstrap %s\n", sw.Bootstrap())
	}
	if err != nil {
		return err
	}
	until := "interrupted"
	if c.dur > 0 {
		until = fmt.Sprintf("interrupted or %v passes", c.dur)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.dur)
		defer cancel()
	}
	fmt.Fprintf(c.stderr, "swarm of %d nodes%s ready in %s; running until %s\n", c.nodes, describeWAN(wan), seconds(time.Since(start)), until)
	if c.given["kill"] {
		select {
		case <-ctx.Done():
		case <-time.After(c.killAfter):
			if err := c.killNodes(sw); err != nil {
				return err
			}
		}
	}
	<-ctx.Done()
	fmt.Fprintln(c.stderr, "swarm stopping")
	return sw.Close()
}

// killNodes kills --kill of the swarm's nodes and says whom, on stdout.
func (c *cli) killNodes(sw *swarm.Swarm) error {
	victims, err := sw.Kill(c.kill)
	if err != nil {
		return err
	}
	slices.Sort(victims)
	if c.json {
		return c.printJSON(struct {
			Killed []int `json:"killed"`
			Nodes  int   `json:"nodes"`
		}{append([]int{}, victims...), c.nodes})
	}
	ids := make([]string, len(victims))
	for i, v := range victims {
		ids[i] = strconv.Itoa(v)
	}
	_, err = fmt.Fprintf(c.stdout, "killed %d of %d nodes: %s\n", len(victims), c.nodes, strings.Join(ids, " "))
	return err
}

// seconds formats a duration for people: "4.2 ms", "420 ms", "1.42 s".
func seconds(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
