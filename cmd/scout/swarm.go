package main

import (
	"context"
	"fmt"
	"time"

	"github.com/scout-dht/scout/scout/swarm"
)

// swarmCmd runs a loopback swarm until the context ends (SIGINT, SIGTERM)
// or --for passes. Its first line of output is the bootstrap address.
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
	start := time.Now()
	startCtx, cancel := context.WithTimeout(ctx, c.timeout)
	sw, err := swarm.Start(startCtx, swarm.Options{Nodes: c.nodes, Port: c.port})
	cancel()
	if err != nil {
		return fmt.Errorf("starting the swarm: %w", err)
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
	fmt.Fprintf(c.stderr, "swarm of %d nodes ready in %s; running until %s\n", c.nodes, seconds(time.Since(start)), until)
	<-ctx.Done()
	fmt.Fprintln(c.stderr, "swarm stopping")
	return sw.Close()
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
