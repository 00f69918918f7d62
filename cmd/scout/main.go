// Command scout is the command-line client of Scout: it makes keys,
// synchronizes the entry list two peers share, stores and reads offline
// messages, runs a loopback swarm and shows the whole flow in a demo.
//
// Run "scout -h" for the usage text, "scout COMMAND -h" for a command's.
// Exit status: 0 ok, 1 bad usage or input, 2 network error or timeout, 3
// not found.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/scout-dht/scout/scout"
)

// usageText is the help text; the --timeout default it states is
// scout.DefaultTimeout, the one the flag takes.
var usageText = fmt.Sprintf(`Usage:
  scout gen-key FILE                        write a new secret key to FILE (mode 0600)
                                            and print its public key
  scout dump-key FILE                       print FILE's public key (64 hex digits)
  scout sync FILE PEER_PUBLIC_HEX ID VALUE  set entry ID to VALUE in the list FILE's key
                                            shares with the peer, synchronize, and print
                                            every entry as "ID SEQ VALUE"
  scout put MESSAGE [--list FILE]           store an offline message and print its hash;
                                            --list FILE chains it to the list whose head
                                            FILE keeps (created if missing)
  scout get HASH [--all]                    print the message, then "next HASH";
                                            --all walks the list to its end
  scout keep FILE PEER_PUBLIC_HEX [--list FILE] [--interval D] [--for D]
                                            keep the list FILE's key shares with the
                                            peer alive on the DHT (with --list, also
                                            the message list whose head FILE keeps):
                                            put it again every D (default 30m); print
                                            a line per round
  scout watch FILE PEER_PUBLIC_HEX [--interval D] [--for D]
                                            print the shared list's entries, then each
                                            change as it is found (asking every D,
                                            default 1m): "ID SEQ VALUE" per new or
                                            newer entry, "removed ID SEQ" per removal
  scout remove FILE PEER_PUBLIC_HEX ID      remove entry ID from the shared list, for
                                            both peers; print the list as written
  scout swarm [--nodes N] [--port P] [--for DURATION] [--item-ttl DURATION]
              [--rtt DURATION] [--loss P] [--jitter F] [--seed S]
              [--kill F [--kill-after DURATION]]
                                            run a loopback swarm of N nodes (default 32)
                                            from port P (default: any); print
                                            "bootstrap 127.0.0.1:PORT" ([::1] with --ipv6), run until
                                            interrupted or DURATION passes; --rtt,
                                            --loss, --jitter, --seed put its nodes on
                                            an emulated internet (median round trip,
                                            loss each way), --kill a fraction of them
                                            dies after --kill-after (default: at once);
                                            --item-ttl: its nodes drop an item this long
                                            after it was last put (default 2h)
  scout serve [--listen ADDR] [--portmap|--no-portmap] [--for DURATION]
                                            run one full DHT node until interrupted or
                                            DURATION passes; print "listening ADDR",
                                            then "mapped udp IP:PORT via upnp|natpmp|pcp"
                                            once the router maps its port (default: map
                                            when on a LAN or public address with the
                                            public routers; removed on exit)
  scout demo                                Alice and Bob on a loopback swarm: keys,
                                            entries, offline messages, all verified
  scout version                             print the version (also: scout --version)

Flags, before or after the arguments:
  --bootstrap HOST:PORT[,HOST:PORT...]  nodes to join through (default: those
                                        $SCOUT_BOOTSTRAP lists, else the public
                                        mainline DHT routers; "" for none)
  --timeout DURATION                    give up after this long (default %v);
                                        when no node answers the join, fail after
                                        at most %v
  --json                                print JSON instead of text: one object
                                        (get --all: one list of them); an error
                                        too: {"error", "kind", "exit_status"}
  --state FILE                          state file that keeps the node warm between
                                        runs (default: one per bootstrap list under
                                        the user cache directory; "" for none)
  --no-state                            keep no state file
  --listen HOST:PORT                    UDP address to bind (default: a random port)
  --families auto|ipv4|ipv6|dual-stack  the DHTs the node joins (default auto: both
                                        where the machine has IPv6, unless --listen
                                        names one family)
  --stats                               when the command ends, even in error, print
                                        its node's statistics as one JSON object on
                                        stderr (swarm: the sum over its nodes)
  -v, --verbose                         log what the node does to stderr
  -h, --help                            show this help; after a command, its help
  --version                             print the version

swarm and demo run their own loopback nodes: --bootstrap, --state,
--listen and --families do not apply to them.

A value or message that is not printable UTF-8 (or starts with "0x") is
printed as 0x followed by its hex. Use "--" before an argument that starts
with "-". Errors go to stderr (with --json, to stdout as a JSON object).

Exit status: 0 ok, 1 bad usage or input, 2 network error or timeout,
3 not found.
`, scout.DefaultTimeout, joinWait)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels the command, which stops cleanly; a second
	// one, once the default handling is back, ends the process at once.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK       = 0
	exitUsage    = 1
	exitNetwork  = 2
	exitNotFound = 3
)

// errUsage marks errors in how scout was called.
var errUsage = errors.New("usage")

// usageError is a mistake in the command line; it matches errUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == errUsage }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errDemo marks a demo step that did not verify.
var errDemo = errors.New("demo failed")

// exitCode maps an error to the exit status: the one place that does.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errDemo):
		return exitNetwork // whatever failed inside
	case errors.Is(err, scout.ErrNotFound):
		return exitNotFound
	case errors.Is(err, scout.ErrNetwork),
		errors.Is(err, scout.ErrTimeout),
		errors.Is(err, scout.ErrCancelled),
		errors.Is(err, scout.ErrConflict),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, context.Canceled):
		return exitNetwork
	default:
		// errUsage, scout.ErrInvalidArgument, scout.ErrTooLarge, and
		// files that cannot be read or written.
		return exitUsage
	}
}

// cli holds one invocation: its output and its flags.
type cli struct {
	stdout, stderr io.Writer

	bootstrap     []string // nil: scout.DefaultBootstrap
	bootstrapFrom string   // where bootstrap came from, for error texts
	timeout       time.Duration
	json          bool
	verbose       bool
	state         string // the state file; "" for none
	listen        string

	list  string        // put --list
	all   bool          // get --all
	nodes int           // swarm --nodes
	port  int           // swarm --port
	dur   time.Duration // swarm --for, serve --for, keep --for, watch --for

	interval time.Duration // keep --interval, watch --interval
	itemTTL  time.Duration // swarm --item-ttl
	ipv6     bool          // swarm --ipv6

	// swarm's emulated WAN: --rtt, --max-rtt, --loss, --jitter, --seed,
	// --kill, --kill-after
	rtt, maxRTT, killAfter time.Duration
	loss, jitter, kill     float64
	seed                   uint64

	given map[string]bool // the flags given, by name

	portmap, noPortmap bool // serve --portmap, --no-portmap

	fam      scout.Families // --families
	stats    bool           // --stats
	statsOut any            // what --stats prints on stderr once the command has ended
}

// command is one subcommand: its positional arguments, the flags only it
// takes, and what it does.
type command struct {
	name  string
	args  []string // names of the positional arguments
	flags []string // flags besides the common ones
	run   func(ctx context.Context, c *cli, args []string) error
}

var commands = []command{
	{name: "gen-key", args: []string{"FILE"}, run: genKey},
	{name: "dump-key", args: []string{"FILE"}, run: dumpKey},
	{name: "sync", args: []string{"FILE", "PEER_PUBLIC_HEX", "ID", "VALUE"}, flags: nodeFlags, run: syncCmd},
	{name: "put", args: []string{"MESSAGE"}, flags: append([]string{"list"}, nodeFlags...), run: put},
	{name: "get", args: []string{"HASH"}, flags: append([]string{"all"}, nodeFlags...), run: get},
	{name: "keep", args: []string{"FILE", "PEER_PUBLIC_HEX"}, flags: append([]string{"list", "interval", "for"}, nodeFlags...), run: keepCmd},
	{name: "watch", args: []string{"FILE", "PEER_PUBLIC_HEX"}, flags: append([]string{"interval", "for"}, nodeFlags...), run: watchCmd},
	{name: "remove", args: []string{"FILE", "PEER_PUBLIC_HEX", "ID"}, flags: nodeFlags, run: removeCmd},
	{name: "swarm", flags: []string{"nodes", "port", "ipv6", "for", "item-ttl", "rtt", "max-rtt", "loss", "jitter", "seed", "kill", "kill-after", "stats"}, run: swarmCmd},
	{name: "serve", flags: append([]string{"for", "portmap", "no-portmap"}, nodeFlags...), run: serveCmd},
	{name: "demo", run: demo},
	{name: "version", run: versionCmd},
}

// nodeFlags are the flags of the commands that run a DHT node of their
// own: which DHTs it joins, and its statistics at the end.
var nodeFlags = []string{"families", "stats"}

// commandFlag reports whether a flag belongs to some commands only.
func commandFlag(name string) bool {
	return slices.ContainsFunc(commands, func(cmd command) bool { return slices.Contains(cmd.flags, name) })
}

// optString is a string flag that tells "not given" from "given empty".
type optString struct {
	val string
	set bool
}

func (f *optString) String() string     { return f.val }
func (f *optString) Set(s string) error { f.val, f.set = s, true; return nil }

// helpRequest is -h or --help: the usage of the command named, or the
// whole usage when none is.
type helpRequest struct{ command string }

func (h *helpRequest) Error() string { return "help requested" }

// run is the whole program but for the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	c := &cli{stdout: stdout, stderr: stderr, json: wantsJSON(args)}
	err := c.dispatch(ctx, args)
	var help *helpRequest
	if errors.As(err, &help) {
		if help.command == "" {
			fmt.Fprint(stdout, usageText)
		} else {
			fmt.Fprint(stdout, commandUsage(help.command))
		}
		return exitOK
	}
	if err != nil {
		c.report(err)
	}
	c.printStats() // --stats: last, after the command's output and its error
	return exitCode(err)
}

// report tells what went wrong: one line on stderr, with a pointer to the
// usage for a usage error; with --json, one JSON object on stdout instead.
func (c *cli) report(err error) {
	msg := strings.TrimPrefix(err.Error(), "scout: ")
	if c.json {
		_ = c.printJSON(struct {
			Error      string `json:"error"`
			Kind       string `json:"kind"`
			ExitStatus int    `json:"exit_status"`
		}{msg, errorKind(err), exitCode(err)})
		return
	}
	fmt.Fprintf(c.stderr, "scout: %s\n", msg)
	if errors.Is(err, errUsage) {
		fmt.Fprintln(c.stderr, "Run 'scout --help' for usage.")
	}
}

// errorKind names an error's kind for --json: the library's error kinds
// (as the C API's statuses), "usage" for the command line, "io" for files.
func errorKind(err error) string {
	for _, k := range []struct {
		target error
		name   string
	}{
		{errUsage, "usage"},
		{errDemo, "demo"},
		{scout.ErrInvalidArgument, "invalid_argument"},
		{scout.ErrTooLarge, "too_large"},
		{scout.ErrNotFound, "not_found"},
		{scout.ErrTimeout, "timeout"},
		{context.DeadlineExceeded, "timeout"},
		{scout.ErrCancelled, "cancelled"},
		{context.Canceled, "cancelled"},
		{scout.ErrDecrypt, "decrypt_failed"},
		{scout.ErrWrongState, "wrong_state"},
		{scout.ErrNetwork, "network"},
		{scout.ErrConflict, "conflict"},
	} {
		if errors.Is(err, k.target) {
			return k.name
		}
	}
	return "io"
}

// wantsJSON reports whether --json is among the flags, so that even an
// error in parsing the rest is reported as JSON.
func wantsJSON(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--json", "-json", "--json=true", "-json=true":
			return true
		}
	}
	return false
}

// flagName matches a flag as Go's flag package echoes it (one dash).
var flagName = regexp.MustCompile(`(^|[\s:])-([A-Za-z][A-Za-z0-9-]*)`)

// twoDashes rewrites the flag package's "-name" as "--name", the way the
// usage shows flags.
func twoDashes(msg string) string {
	msg = strings.Replace(msg, "flag provided but not defined:", "unknown flag", 1)
	return flagName.ReplaceAllStringFunc(msg, func(m string) string {
		at := strings.Index(m, "-")
		name := m[at+1:]
		if len(name) == 1 { // -v, -h: their one-letter forms
			return m
		}
		return m[:at] + "--" + name
	})
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scout", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var bootstrap, state optString
	fs.Var(&bootstrap, "bootstrap", "")
	fs.Var(&state, "state", "")
	noState := fs.Bool("no-state", false, "")
	fs.DurationVar(&c.timeout, "timeout", scout.DefaultTimeout, "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.StringVar(&c.listen, "listen", "", "")
	fs.StringVar(&c.list, "list", "", "")
	fs.BoolVar(&c.all, "all", false, "")
	fs.IntVar(&c.nodes, "nodes", 32, "")
	fs.IntVar(&c.port, "port", 0, "")
	fs.DurationVar(&c.dur, "for", 0, "")
	fs.DurationVar(&c.interval, "interval", 0, "")
	fs.DurationVar(&c.itemTTL, "item-ttl", 0, "")
	fs.BoolVar(&c.ipv6, "ipv6", false, "")
	fs.DurationVar(&c.rtt, "rtt", 0, "")
	fs.DurationVar(&c.maxRTT, "max-rtt", 0, "")
	fs.Float64Var(&c.loss, "loss", 0, "")
	fs.Float64Var(&c.jitter, "jitter", 0, "")
	fs.Uint64Var(&c.seed, "seed", 0, "")
	fs.Float64Var(&c.kill, "kill", 0, "")
	fs.DurationVar(&c.killAfter, "kill-after", 0, "")
	fs.BoolVar(&c.portmap, "portmap", false, "")
	fs.BoolVar(&c.noPortmap, "no-portmap", false, "")
	families := fs.String("families", "auto", "")
	fs.BoolVar(&c.stats, "stats", false, "")
	fs.BoolVar(&c.verbose, "v", false, "")
	fs.BoolVar(&c.verbose, "verbose", false, "")
	var help, showVersion bool
	fs.BoolVar(&help, "h", false, "")
	fs.BoolVar(&help, "help", false, "")
	fs.BoolVar(&showVersion, "version", false, "")

	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return usagef("%s", twoDashes(err.Error()))
	}
	if help {
		if len(pos) > 0 && commandDocs[pos[0]].synopsis != "" {
			return &helpRequest{command: pos[0]}
		}
		return &helpRequest{}
	}
	if showVersion {
		return versionCmd(ctx, c, nil)
	}
	if len(pos) == 0 {
		return usagef("no command given")
	}
	i := slices.IndexFunc(commands, func(cmd command) bool { return cmd.name == pos[0] })
	if i < 0 {
		return usagef("unknown command %q", pos[0])
	}
	cmd, pos := commands[i], pos[1:]

	var misplaced []string
	c.given = map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		c.given[f.Name] = true
		if commandFlag(f.Name) && !slices.Contains(cmd.flags, f.Name) {
			misplaced = append(misplaced, "--"+f.Name)
		}
	})
	if len(misplaced) > 0 {
		return usagef("%s does not take %s", cmd.name, strings.Join(misplaced, ", "))
	}
	if len(pos) != len(cmd.args) {
		synopsis := strings.TrimSpace("scout " + cmd.name + " " + strings.Join(cmd.args, " "))
		return usagef("%s: expected %d argument(s), got %d (scout %s --help)", synopsis, len(cmd.args), len(pos), cmd.name)
	}

	if c.timeout <= 0 {
		return usagef("--timeout must be positive, got %v", c.timeout)
	}
	if c.listen != "" {
		if _, _, err := net.SplitHostPort(c.listen); err != nil {
			return usagef("--listen %q: %v", c.listen, err)
		}
	}
	if c.fam, err = parseFamilies(*families); err != nil {
		return err
	}
	c.bootstrapFrom = "--bootstrap"
	switch {
	case bootstrap.set:
		// Given empty: join through no node, state file only.
		c.bootstrap = scout.SplitNodes(bootstrap.val)
	case scout.BootstrapFromEnv() != nil:
		c.bootstrap, c.bootstrapFrom = scout.BootstrapFromEnv(), "$"+scout.BootstrapEnv
	default:
		c.bootstrapFrom = "the public routers"
	}
	for _, b := range c.bootstrap {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return usagef("%s %q: %v", c.bootstrapFrom, b, err)
		}
	}
	switch {
	case *noState:
		c.state = ""
	case state.set:
		c.state = state.val
	default:
		c.state = defaultStateFile(c.bootstrap)
	}
	return cmd.run(ctx, c, pos)
}

// parseInterspersed parses fs's flags wherever they stand among the
// positional arguments, which it returns in order. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// printJSON writes v as one line of JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// warnf notes something that does not change the outcome.
func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stderr, "scout: warning: "+format+"\n", args...)
}
