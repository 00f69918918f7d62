package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/scout-dht/scout/scout"
)

// version is the release this command belongs to: SCOUT_VERSION of
// include/scout.h (tests/lint/check_version.cmake checks the copy).
const version = "0.2.0"

// flagHelp describes every flag once, as usage texts show it: always with
// two dashes (-v and -h also have one-letter forms).
var flagHelp = map[string][2]string{
	"bootstrap":  {"--bootstrap HOST:PORT[,HOST:PORT...]", "nodes to join through, an IPv6 one as [ADDR]:PORT (default: those $SCOUT_BOOTSTRAP lists, else the public mainline DHT routers; \"\" for none)"},
	"timeout":    {"--timeout DURATION", fmt.Sprintf("give up after this long (default %v); the join itself gets at most %v", scout.DefaultTimeout, joinWait)},
	"json":       {"--json", "print one JSON object (get --all: one list of them), errors included: {\"error\", \"kind\", \"exit_status\"}"},
	"state":      {"--state FILE", "state file that keeps the node warm between runs (default: one per bootstrap list under the user cache directory; \"\" for none)"},
	"no-state":   {"--no-state", "keep no state file"},
	"listen":     {"--listen HOST:PORT", "UDP address to bind, [ADDR]:PORT for IPv6 (default: a random port, on IPv4 and on IPv6 where the machine has it)"},
	"ipv6":       {"--ipv6", "run the swarm on ::1 (an IPv6 DHT, BEP 32) and print \"bootstrap [::1]:PORT\""},
	"verbose":    {"-v, --verbose", "log what the node does to stderr"},
	"help":       {"-h, --help", "show this help"},
	"list":       {"--list FILE", "the message list whose head FILE keeps: put chains the message to it (FILE created if missing) and keeps the new head there; keep keeps the list alive"},
	"all":        {"--all", "walk the list to its end: one \"HASH MESSAGE\" line per message, then \"N messages\""},
	"nodes":      {"--nodes N", "how many nodes (default 32)"},
	"port":       {"--port P", "the first node's UDP port, the others follow (default: any)"},
	"for":        {"--for DURATION", "stop after this long (default: when interrupted)"},
	"interval":   {"--interval DURATION", "keep: the time between two puts (default 30m, a quarter of the item lifetime); watch: between two looks (default 1m); each drawn within 10 % of it"},
	"item-ttl":   {"--item-ttl DURATION", "the swarm's nodes drop an item this long after it was last put (default 2h), so that tests of keep-alive run in seconds"},
	"rtt":        {"--rtt DURATION", "put the nodes on an emulated internet whose round trips between two nodes have this median (each node's access delay is lognormal; p99 about 3.6 times the median)"},
	"max-rtt":    {"--max-rtt DURATION", "the longest round trip on the emulated internet (default: 500ms or 8 times --rtt, whichever is more)"},
	"loss":       {"--loss P", "the probability that a datagram between two nodes is lost, each way, from 0 to below 1 (e.g. 0.01)"},
	"jitter":     {"--jitter F", "add up to this fraction of a datagram's delay at random (e.g. 0.1), so that datagrams can overtake each other"},
	"seed":       {"--seed S", "seed of the delays and of whom --kill kills (default 0)"},
	"kill":       {"--kill F", "kill this fraction of the nodes (never the first), from 0 to 1: they go silent, answering none of the others; prints \"killed N of M nodes: I ...\""},
	"kill-after": {"--kill-after DURATION", "when to --kill, after the swarm is ready (default: at once)"},
	"families":   {"--families auto|ipv4|ipv6|dual-stack", "the DHTs the node joins (BEP 32): auto (the default) joins both where the machine has IPv6 unless --listen names one family, dual-stack both on one port (puts go to both, gets ask both)"},
	"stats":      {"--stats", "when the command ends, even in error, print its node's statistics (swarm: the sum over its nodes, with \"sessions\") as one JSON object on stderr, after everything else: routing tables, store, queries by method, replies, datagrams and bytes, what the limits refused, external addresses, operations by outcome"},
	"portmap":    {"--portmap", "ask the router to forward the node's port (UPnP, NAT-PMP, PCP)"},
	"no-portmap": {"--no-portmap", "never ask the router"},
}

// The flags every command that runs a node of its own takes.
var networkFlags = []string{"bootstrap", "timeout", "state", "no-state", "listen", "families", "json", "verbose", "stats"}

// commandDoc is what `scout COMMAND --help` says about a command.
type commandDoc struct {
	synopsis string   // after "scout "
	about    string   // what it does
	flags    []string // in flagHelp
}

var commandDocs = map[string]commandDoc{
	"gen-key": {"gen-key FILE",
		"Writes a new X25519 secret key to FILE (mode 0600; an existing file is not replaced) and prints its public key, 64 hex digits.",
		[]string{"json"}},
	"dump-key": {"dump-key FILE",
		"Prints the public key (64 hex digits) of the secret key in FILE.",
		[]string{"json"}},
	"sync": {"sync FILE PEER_PUBLIC_HEX ID VALUE",
		"Sets entry ID (a number from 0 to 4294967295) to VALUE in the entry list that FILE's key shares with the peer whose public key is PEER_PUBLIC_HEX, synchronizes it with the DHT (read, merge, write), and prints every entry as \"ID SEQ VALUE\".",
		networkFlags},
	"put": {"put MESSAGE [--list FILE]",
		"Stores MESSAGE (at most 973 bytes) as an offline message and prints its hash, the new head of its list.",
		append([]string{"list"}, networkFlags...)},
	"get": {"get HASH [--all]",
		"Prints the message stored under HASH (40 hex digits), then \"next HASH\" (zeros at the list's end). Exit status 3 if no node holds it.",
		append([]string{"all"}, networkFlags...)},
	"swarm": {"swarm [--nodes N] [--port P] [--for DURATION] [--item-ttl DURATION] [--rtt DURATION] [--loss P] [--jitter F] [--seed S] [--kill F [--kill-after DURATION]]",
		"Runs a loopback swarm of DHT nodes on 127.0.0.1 (::1 with --ipv6) and prints \"bootstrap 127.0.0.1:PORT\" (\"bootstrap [::1]:PORT\") first; other commands (or SCOUT_BOOTSTRAP) join through that address. Runs until interrupted or --for passes. With any of --rtt, --max-rtt, --loss, --jitter, --seed or --kill, the nodes talk to each other over an emulated internet (the WAN model: per-node delays, jitter, loss, silent deaths, all following from --seed) and join through the first node one by one; --kill makes a fraction of them die after --kill-after. The model sits between the swarm's own nodes: a command in another process reaches them directly, without delay or loss, and is answered by the dead too.",
		[]string{"nodes", "port", "ipv6", "for", "item-ttl", "rtt", "max-rtt", "loss", "jitter", "seed", "kill", "kill-after", "timeout", "json", "stats"}},
	"keep": {"keep FILE PEER_PUBLIC_HEX [--list FILE] [--interval DURATION] [--for DURATION]",
		"Keeps the entry list that FILE's key shares with the peer whose public key is PEER_PUBLIC_HEX alive on the DHT, and with --list the message list whose head FILE keeps: puts its newest items again, byte for byte, to the nodes closest to them, at once and then every --interval, until interrupted or --for passes. Nodes drop an item about 2 hours after it was last put. Prints a line per round: \"slot TARGET seq SEQ stored N\", \"list HEAD messages M stored N\", or \"slot|list TARGET error TEXT\" for a round that failed (tried again sooner).",
		append([]string{"list", "interval", "for"}, networkFlags...)},
	"watch": {"watch FILE PEER_PUBLIC_HEX [--interval DURATION] [--for DURATION]",
		"Watches the entry list that FILE's key shares with the peer whose public key is PEER_PUBLIC_HEX, until interrupted or --for passes: prints its entries as \"ID SEQ VALUE\", then, for each new version found (asking the closest nodes every --interval, without the value unless it changed), a line per new or newer entry and \"removed ID SEQ\" per removal. With --json, one object per version: {\"seq\", \"entries\", \"removed\"}.",
		append([]string{"interval", "for"}, networkFlags...)},
	"remove": {"remove FILE PEER_PUBLIC_HEX ID",
		"Removes entry ID from the entry list that FILE's key shares with the peer, for both of them: synchronizes, leaving in its place a tombstone (an empty value with a higher seq) that wins over every older copy, and prints the list as written. Exit status 3 if the list holds no entry ID.",
		networkFlags},
	"serve": {"serve [--listen ADDR] [--portmap|--no-portmap] [--for DURATION]",
		"Runs one full DHT node until interrupted or --for passes; prints \"listening ADDR\", then \"mapped udp IP:PORT via upnp|natpmp|pcp\" once the router maps its port (default: map when on a LAN or public address with the public routers; removed on exit).",
		[]string{"listen", "families", "portmap", "no-portmap", "for", "bootstrap", "timeout", "state", "no-state", "json", "stats"}},
	"demo": {"demo",
		"Alice and Bob on an embedded loopback swarm: keys, entries, offline messages, every step verified.",
		[]string{"timeout"}},
	"version": {"version",
		"Prints the release of Scout this command belongs to, and the Go toolchain and platform it was built for.",
		[]string{"json"}},
}

// commandUsage is `scout COMMAND --help`.
func commandUsage(name string) string {
	d := commandDocs[name]
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: scout %s\n\n%s\n", d.synopsis, wrap(d.about, 76, ""))
	flags := append(append([]string(nil), d.flags...), "help")
	b.WriteString("\nFlags, before or after the arguments:\n")
	for _, f := range flags {
		h := flagHelp[f]
		fmt.Fprintf(&b, "  %s\n%s\n", h[0], wrap(h[1], 70, "      "))
	}
	b.WriteString("\nExit status: 0 ok, 1 bad usage or input, 2 network error or timeout, 3 not found.\n")
	return b.String()
}

// wrap breaks text into lines of at most width characters, each after indent.
func wrap(text string, width int, indent string) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, indent+line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, indent+line)
	}
	return strings.Join(lines, "\n")
}

// versionCmd prints the versions.
func versionCmd(_ context.Context, c *cli, _ []string) error {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if c.json {
		return c.printJSON(struct {
			Version  string `json:"version"`
			Go       string `json:"go"`
			Platform string `json:"platform"`
		}{version, runtime.Version(), platform})
	}
	_, err := fmt.Fprintf(c.stdout, "scout %s (%s %s)\n", version, runtime.Version(), platform)
	return err
}
