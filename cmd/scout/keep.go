package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scout-dht/scout/scout"
)

// The commands that keep data alive, watch it and remove from it: keep,
// watch, remove.

// sharedFrom reads FILE's secret key and PEER_PUBLIC_HEX and returns the
// secret they share.
func sharedFrom(keyFile, peerHex string) (scout.SharedSecret, error) {
	sk, err := readSecretKey(keyFile)
	if err != nil {
		return scout.SharedSecret{}, err
	}
	peer, err := scout.ParsePublicKey(peerHex)
	if err != nil {
		return scout.SharedSecret{}, err
	}
	return scout.KeyExchange(sk, peer)
}

// untilFor bounds ctx by --for, when given, and checks it and --interval.
func (c *cli) untilFor(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if c.dur < 0 {
		return nil, nil, usagef("--for must not be negative, got %v", c.dur)
	}
	if c.interval < 0 {
		return nil, nil, usagef("--interval must not be negative, got %v", c.interval)
	}
	if c.dur > 0 {
		ctx, cancel := context.WithTimeout(ctx, c.dur)
		return ctx, cancel, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	return ctx, cancel, nil
}

// errorText is an error as the command prints it.
func errorText(err error) string { return strings.TrimPrefix(err.Error(), "scout: ") }

// ended reports whether err is how a long-running command ends well: when
// interrupted, or once --for has passed.
func ended(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, scout.ErrCancelled) || errors.Is(err, scout.ErrTimeout))
}

// keepCmd keeps the list FILE's key shares with the peer alive, and with
// --list the message list whose head that file keeps, until interrupted or
// --for passes. It prints one line per round.
func keepCmd(ctx context.Context, c *cli, args []string) error {
	shared, err := sharedFrom(args[0], args[1])
	if err != nil {
		return err
	}
	var head scout.ListHead
	if c.list != "" {
		if head, err = readListHead(c.list); err != nil {
			return err
		}
		if head.Hash().IsZero() {
			return fmt.Errorf("%w: the list file %s holds no head: nothing to keep", scout.ErrInvalidArgument, c.list)
		}
	}
	ctx, cancel, err := c.untilFor(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return c.withLongSession(ctx, func(ctx context.Context, s *scout.Session) error {
		rounds := make(chan scout.Kept, 16)
		opts := scout.KeepOptions{Interval: c.interval, Round: func(k scout.Kept) { rounds <- k }}
		n := 1
		errs := make(chan error, 2)
		go func() { errs <- s.Keep(ctx, shared, opts) }()
		if c.list != "" {
			n++
			go func() { errs <- s.KeepList(ctx, head.Hash(), opts) }()
		}
		var first error
		for n > 0 {
			select {
			case k := <-rounds:
				if err := c.printKept(k); err != nil && first == nil {
					first = err
					cancel()
				}
			case err := <-errs:
				n--
				if first == nil && !ended(ctx, err) {
					first = err
					cancel()
				}
			}
		}
		return first
	})
}

// printKept prints one round of keep: "slot TARGET seq SEQ stored N",
// "list HEAD messages M stored N", or "slot TARGET error TEXT"; with
// --json, one object.
func (c *cli) printKept(k scout.Kept) error {
	kind := "slot"
	if k.List {
		kind = "list"
	}
	if c.json {
		v := map[string]any{"kept": kind, "target": k.Target.String(), "items": k.Items, "stored": k.Stored,
			"next": k.Next.UTC().Format(time.RFC3339)}
		if !k.List {
			v["seq"] = k.Seq
		}
		if k.Err != nil {
			v["error"] = errorText(k.Err)
			v["kind"] = errorKind(k.Err)
		}
		return c.printJSON(v)
	}
	var err error
	switch {
	case k.Err != nil:
		_, err = fmt.Fprintf(c.stdout, "%s %v error %s\n", kind, k.Target, errorText(k.Err))
	case k.List:
		_, err = fmt.Fprintf(c.stdout, "list %v messages %d stored %d\n", k.Target, k.Items, k.Stored)
	default:
		_, err = fmt.Fprintf(c.stdout, "slot %v seq %d stored %d\n", k.Target, k.Seq, k.Stored)
	}
	return err
}

// watchCmd prints the entries of the list FILE's key shares with the peer,
// then every change, until interrupted or --for passes: an "ID SEQ VALUE"
// line per new or newer entry, a "removed ID SEQ" line per removal.
func watchCmd(ctx context.Context, c *cli, args []string) error {
	shared, err := sharedFrom(args[0], args[1])
	if err != nil {
		return err
	}
	ctx, cancel, err := c.untilFor(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	return c.withLongSession(ctx, func(ctx context.Context, s *scout.Session) error {
		var printErr error
		err := s.Watch(ctx, shared, nil, c.interval, scout.WatchHandler{Changed: func(ch scout.WatchChange) {
			if printErr == nil {
				if printErr = c.printChange(ch); printErr != nil {
					cancel()
				}
			}
		}})
		if printErr != nil {
			return printErr
		}
		if ended(ctx, err) {
			return nil
		}
		return err
	})
}

type jsonRemoved struct {
	ID  uint32 `json:"id"`
	Seq int64  `json:"seq"`
}

// printChange prints one new version of a watched list.
func (c *cli) printChange(ch scout.WatchChange) error {
	var removed []jsonRemoved
	for _, id := range ch.Removed {
		r := jsonRemoved{ID: id}
		for _, e := range ch.Entries.Removed() {
			if e.ID == id {
				r.Seq = e.Seq
			}
		}
		removed = append(removed, r)
	}
	if c.json {
		out := struct {
			Seq     int64         `json:"seq"`
			Entries []jsonEntry   `json:"entries"`
			Removed []jsonRemoved `json:"removed"`
		}{Seq: ch.Seq, Entries: []jsonEntry{}, Removed: []jsonRemoved{}}
		for _, e := range ch.Updated {
			out.Entries = append(out.Entries, jsonEntry{ID: e.ID, Seq: e.Seq, Value: jsonText(e.Value), ValueHex: hex.EncodeToString(e.Value)})
		}
		out.Removed = append(out.Removed, removed...)
		return c.printJSON(out)
	}
	for _, e := range ch.Updated {
		if _, err := fmt.Fprintf(c.stdout, "%d %d %s\n", e.ID, e.Seq, display(e.Value)); err != nil {
			return err
		}
	}
	for _, r := range removed {
		if _, err := fmt.Fprintf(c.stdout, "removed %d %d\n", r.ID, r.Seq); err != nil {
			return err
		}
	}
	return nil
}

// removeCmd removes entry ID from the list FILE's key shares with the
// peer, for both of them: it synchronizes, leaving the entry's tombstone,
// and prints the list as written. An ID the list does not hold is exit
// status 3.
func removeCmd(ctx context.Context, c *cli, args []string) error {
	shared, err := sharedFrom(args[0], args[1])
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[2], 10, 32)
	if err != nil {
		return usagef("ID must be a number from 0 to 4294967295, got %q", args[2])
	}
	var (
		res   scout.SyncResult
		found bool
	)
	err = c.withSession(ctx, func(ctx context.Context, s *scout.Session) error {
		var err error
		res, err = s.Synchronize(ctx, shared, nil, scout.SyncHandler{
			Finalize: func(l *scout.Entries) { found = l.Remove(uint32(id)) },
		})
		return err
	})
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		c.warnf("%d copies of the list on the DHT did not open (tampered, or sealed with another key)", res.Failed)
	}
	if !found {
		return fmt.Errorf("%w: the list holds no entry %d", scout.ErrNotFound, id)
	}
	return c.printEntries(res.Entries)
}
