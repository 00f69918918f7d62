package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/scout-dht/scout/scout"
)

// syncCmd sets one entry in the list shared with a peer, synchronizes, and
// prints the list as written.
func syncCmd(ctx context.Context, c *cli, args []string) error {
	sk, err := readSecretKey(args[0])
	if err != nil {
		return err
	}
	peer, err := scout.ParsePublicKey(args[1])
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(args[2], 10, 32)
	if err != nil {
		return usagef("ID must be a number from 0 to 4294967295, got %q", args[2])
	}
	shared, err := scout.KeyExchange(sk, peer)
	if err != nil {
		return err
	}
	local := scout.NewEntries()
	// Assign marks the entry as this side's change: it wins over older
	// copies on the DHT, whatever their seq.
	if _, err := local.Assign(uint32(id), []byte(args[3])); err != nil {
		return err
	}

	var res scout.SyncResult
	err = c.withSession(ctx, func(ctx context.Context, s *scout.Session) error {
		var err error
		res, err = s.Synchronize(ctx, shared, local, scout.SyncHandler{})
		return err
	})
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		c.warnf("%d copies of the list on the DHT did not open (tampered, or sealed with another key)", res.Failed)
	}
	return c.printEntries(res.Entries)
}

type jsonEntry struct {
	ID       uint32  `json:"id"`
	Seq      int64   `json:"seq"`
	Value    *string `json:"value"` // null when the value is not UTF-8
	ValueHex string  `json:"value_hex"`
}

// printEntries prints "ID SEQ VALUE" lines, or {"entries": [...]}.
func (c *cli) printEntries(l *scout.Entries) error {
	if c.json {
		out := struct {
			Entries []jsonEntry `json:"entries"`
		}{Entries: []jsonEntry{}}
		for _, e := range l.Slice() {
			out.Entries = append(out.Entries, jsonEntry{ID: e.ID, Seq: e.Seq, Value: jsonText(e.Value), ValueHex: hex.EncodeToString(e.Value)})
		}
		return c.printJSON(out)
	}
	for _, e := range l.Slice() {
		if _, err := fmt.Fprintf(c.stdout, "%d %d %s\n", e.ID, e.Seq, display(e.Value)); err != nil {
			return err
		}
	}
	return nil
}
