package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// The devices each side publishes, by entry id.
var (
	aliceDevices = []device{{1, "laptop 10.0.0.5:4000"}, {2, "phone 10.0.0.6:4000"}}
	bobDevices   = []device{{11, "desktop 10.0.1.7:4000"}, {12, "tablet 10.0.1.8:4000"}}
	inboxID      = uint32(3)
	letters      = []string{
		"Hi Bob, I'm on a train until six; the laptop stays off.",
		"The photos are on the NAS, folder 2026-11.",
		"Call me when you're back. Alice",
	}
)

type device struct {
	id    uint32
	value string
}

// peer is one side of the demo: a key pair, a session and its entry list.
type peer struct {
	name    string
	sk      scout.SecretKey
	pk      scout.PublicKey
	shared  scout.SharedSecret
	s       *scout.Session
	entries *scout.Entries
}

// demoRun is the demo's state and output.
type demoRun struct {
	out     io.Writer
	timeout time.Duration
}

// demo runs the whole flow on an embedded loopback swarm and verifies every
// step; any failure is reported as errDemo (exit 2). It keeps no state file
// and joins no outside node, so --bootstrap, --state and --listen do not
// apply.
func demo(ctx context.Context, c *cli, _ []string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	d := &demoRun{out: c.stdout, timeout: c.timeout}
	start := time.Now()
	if err := d.run(ctx); err != nil {
		return fmt.Errorf("%w: %w", errDemo, err)
	}
	d.printf("all steps verified in %s\n", since(start))
	return nil
}

func (d *demoRun) printf(format string, args ...any) { fmt.Fprintf(d.out, format, args...) }

func since(t time.Time) string { return seconds(time.Since(t)) }

func (d *demoRun) run(ctx context.Context) error {
	d.printf("Scout demo: Alice and Bob find each other's devices on a loopback DHT\n\n")

	t := time.Now()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: 32})
	if err != nil {
		return fmt.Errorf("starting the swarm: %w", err)
	}
	defer sw.Close()
	d.printf("swarm of %d nodes ready in %s (bootstrap %s)\n", len(sw.Addrs()), since(t), sw.Bootstrap())

	// Keys: each side makes a pair, they swap public keys (by mail, a QR
	// code...) and each derives the shared secret from its own secret key
	// and the other's public key.
	alice, bob := &peer{name: "alice", entries: scout.NewEntries()}, &peer{name: "bob", entries: scout.NewEntries()}
	for _, p := range []*peer{alice, bob} {
		if p.sk, p.pk, err = scout.GenerateKeyPair(); err != nil {
			return err
		}
		d.printf("%-5s public key %v\n", p.name, p.pk)
	}
	if alice.shared, err = scout.KeyExchange(alice.sk, bob.pk); err != nil {
		return fmt.Errorf("alice's key exchange: %w", err)
	}
	if bob.shared, err = scout.KeyExchange(bob.sk, alice.pk); err != nil {
		return fmt.Errorf("bob's key exchange: %w", err)
	}
	if alice.shared != bob.shared {
		return fmt.Errorf("the shared secrets differ: alice %x, bob %x", alice.shared, bob.shared)
	}
	d.printf("shared secret: alice and bob both derive %x…\n", alice.shared[:8])
	d.printf("their list lives at DHT target %v\n\n", alice.shared.Target())

	// Each side runs its own node, joined through the swarm's bootstrap.
	for _, p := range []*peer{alice, bob} {
		t := time.Now()
		p.s, err = scout.NewSession(scout.Options{
			ListenAddr: "127.0.0.1:0",
			Bootstrap:  []string{sw.Bootstrap()},
			Timeout:    d.timeout,
			ReadOnly:   true,
		})
		if err != nil {
			return err
		}
		defer p.s.Stop()
		if err := p.s.Start(ctx); err != nil {
			return fmt.Errorf("%s's session: %w", p.name, err)
		}
		nodes, _ := p.s.NodeCount()
		d.printf("%-5s joined in %s from %v, knows %d nodes\n", p.name, since(t), p.s.Addr(), nodes)
	}
	d.printf("\n")

	// Devices: each publishes its own and finds the other's.
	if err := d.publish(ctx, alice, aliceDevices); err != nil {
		return err
	}
	if err := d.publish(ctx, bob, bobDevices); err != nil {
		return err
	}
	if err := d.expect(bob, aliceDevices); err != nil {
		return err
	}
	if err := d.sync(ctx, alice); err != nil {
		return err
	}
	if err := d.expect(alice, bobDevices); err != nil {
		return err
	}
	d.printf("\n")

	// Offline messages: Alice pushes three onto a list, stores each, and
	// publishes the list's head as an entry of the shared list.
	d.printf("alice leaves %d offline messages for bob\n", len(letters))
	var head scout.ListHead
	for _, l := range letters {
		t := time.Now()
		token, err := head.PushFront([]byte(l))
		if err != nil {
			return err
		}
		res, err := alice.s.Put(ctx, token, []byte(l))
		if err != nil {
			return fmt.Errorf("alice's put of %q: %w", l, err)
		}
		if res.Hash != head.Hash() {
			return fmt.Errorf("alice's put of %q stored %v, not the head %v", l, res.Hash, head.Hash())
		}
		d.printf("  put %q as %v on %d nodes in %s\n", l, res.Hash, res.Stored, since(t))
	}
	inbox := device{inboxID, "inbox " + head.Hash().String()}
	if err := d.publish(ctx, alice, []device{inbox}); err != nil {
		return err
	}
	if err := d.sync(ctx, bob); err != nil {
		return err
	}
	if err := d.expect(bob, []device{inbox}); err != nil {
		return err
	}

	// Bob reads the head from the entry and walks the list, newest first.
	e, _ := bob.entries.Get(inboxID)
	headHex, ok := strings.CutPrefix(string(e.Value), "inbox ")
	if !ok {
		return fmt.Errorf("bob's entry %d is %q, not an inbox", inboxID, e.Value)
	}
	bobHead, err := scout.ParseHash(headHex)
	if err != nil {
		return fmt.Errorf("bob's entry %d: %w", inboxID, err)
	}
	t = time.Now()
	msgs, err := bob.s.GetList(ctx, bobHead, 0)
	if err != nil {
		return fmt.Errorf("bob walking the list from %v (read %d): %w", bobHead, len(msgs), err)
	}
	d.printf("bob walks the list from %v: %d messages in %s, newest first\n", bobHead, len(msgs), since(t))
	for i, m := range msgs {
		d.printf("  %d. %q\n", i+1, m.Contents)
	}
	if len(msgs) != len(letters) {
		return fmt.Errorf("bob read %d messages, alice left %d", len(msgs), len(letters))
	}
	for i, m := range msgs {
		if want := letters[len(letters)-1-i]; string(m.Contents) != want {
			return fmt.Errorf("bob's message %d is %q, want %q", i+1, m.Contents, want)
		}
	}
	d.printf("\n")

	// Both sides now hold the same list.
	if err := sameEntries(alice.entries, bob.entries); err != nil {
		return err
	}
	d.printf("final list, the same on both sides (ID SEQ VALUE):\n")
	for _, e := range alice.entries.Slice() {
		d.printf("  %d %d %s\n", e.ID, e.Seq, display(e.Value))
	}
	return nil
}

// publish assigns p's devices in its list and synchronizes.
func (d *demoRun) publish(ctx context.Context, p *peer, devs []device) error {
	var names []string
	for _, dev := range devs {
		if _, err := p.entries.Assign(dev.id, []byte(dev.value)); err != nil {
			return err
		}
		names = append(names, fmt.Sprintf("%d %q", dev.id, dev.value))
	}
	d.printf("%s publishes %s\n", p.name, strings.Join(names, ", "))
	return d.sync(ctx, p)
}

// sync synchronizes p's list, printing each entry that arrives.
func (d *demoRun) sync(ctx context.Context, p *peer) error {
	t := time.Now()
	d.printf("%s synchronizes\n", p.name)
	res, err := p.s.Synchronize(ctx, p.shared, p.entries, scout.SyncHandler{
		EntryUpdated: func(e scout.Entry) {
			d.printf("  %s <- entry %d seq %d %q\n", p.name, e.ID, e.Seq, e.Value)
		},
	})
	if err != nil {
		return fmt.Errorf("%s's synchronize: %w", p.name, err)
	}
	p.entries = res.Entries
	d.printf("  %s wrote %d entries (list seq %d) to %d nodes in %s\n", p.name, res.Entries.Len(), res.Seq, res.Stored, since(t))
	return nil
}

// expect checks that p's list holds devs.
func (d *demoRun) expect(p *peer, devs []device) error {
	var ids []string
	for _, dev := range devs {
		ids = append(ids, fmt.Sprint(dev.id))
		e, ok := p.entries.Get(dev.id)
		if !ok {
			return fmt.Errorf("%s did not find entry %d", p.name, dev.id)
		}
		if string(e.Value) != dev.value {
			return fmt.Errorf("%s found entry %d = %q, want %q", p.name, dev.id, e.Value, dev.value)
		}
	}
	d.printf("  ok: %s has entries %s\n", p.name, strings.Join(ids, ", "))
	return nil
}

// sameEntries checks that a and b hold the same entries, in any order.
func sameEntries(a, b *scout.Entries) error {
	if a.Len() != b.Len() {
		return fmt.Errorf("alice holds %d entries, bob %d", a.Len(), b.Len())
	}
	for _, ea := range a.Slice() {
		eb, ok := b.Get(ea.ID)
		if !ok || eb.Seq != ea.Seq || !bytes.Equal(eb.Value, ea.Value) {
			return fmt.Errorf("entry %d differs: alice has seq %d %q, bob %v", ea.ID, ea.Seq, ea.Value, eb)
		}
	}
	return nil
}
