package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/scout-dht/scout/scout"
)

// put stores an offline message. With --list, the message is pushed onto
// the list whose head the file keeps, and the new head is written back once
// the message is stored.
func put(ctx context.Context, c *cli, args []string) error {
	msg := []byte(args[0])
	var head scout.ListHead
	if c.list != "" {
		h, err := readListHead(c.list)
		if err != nil {
			return err
		}
		head = h
	}
	// PushFront checks the size before anything touches the network.
	token, err := head.PushFront(msg)
	if err != nil {
		return err
	}

	var res scout.PutResult
	err = c.withSession(ctx, func(ctx context.Context, s *scout.Session) error {
		var err error
		res, err = s.Put(ctx, token, msg)
		return err
	})
	if err != nil {
		return err
	}
	if res.Hash != head.Hash() {
		return fmt.Errorf("stored message hash %v differs from the list head %v", res.Hash, head.Hash())
	}
	if c.list != "" {
		if err := writeFileAtomic(c.list, []byte(res.Hash.String()+"\n"), 0o600); err != nil {
			return fmt.Errorf("message stored as %v, but writing the list head to %s: %w", res.Hash, c.list, err)
		}
	}
	if c.json {
		return c.printJSON(struct {
			Hash  string `json:"hash"`
			Token string `json:"token"`
		}{res.Hash.String(), token.String()})
	}
	_, err = fmt.Fprintln(c.stdout, res.Hash)
	return err
}

// readListHead reads a list head file: 40 hex digits. A missing or empty
// file is an empty list.
func readListHead(name string) (scout.ListHead, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return scout.ListHead{}, nil
	}
	if err != nil {
		return scout.ListHead{}, err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return scout.ListHead{}, nil
	}
	h, err := scout.ParseHash(s)
	if err != nil {
		return scout.ListHead{}, fmt.Errorf("list file %s: %w", name, err)
	}
	return scout.ListHead(h), nil
}

// get prints one message, or with --all the list from it to its end.
func get(ctx context.Context, c *cli, args []string) error {
	hash, err := scout.ParseHash(args[0])
	if err != nil {
		return err
	}
	var msgs []scout.Message
	err = c.withSession(ctx, func(ctx context.Context, s *scout.Session) error {
		if c.all {
			var err error
			msgs, err = s.GetList(ctx, hash, 0)
			return err
		}
		m, err := s.Get(ctx, hash)
		if err == nil {
			msgs = append(msgs, m)
		}
		return err
	})
	// GetList returns what it read before an error: print that much.
	if len(msgs) > 0 || err == nil {
		if perr := c.printMessages(msgs); err == nil {
			err = perr
		}
	}
	return err
}

type jsonMessage struct {
	Hash       string  `json:"hash"`
	Message    *string `json:"message"` // null when the message is not UTF-8
	MessageHex string  `json:"message_hex"`
	Next       string  `json:"next"`
}

// printMessages prints each message then "next HASH"; in JSON, one object,
// or with --all a list of them.
func (c *cli) printMessages(msgs []scout.Message) error {
	if c.json {
		out := make([]jsonMessage, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, jsonMessage{Hash: m.Hash.String(), Message: jsonText(m.Contents), MessageHex: hex.EncodeToString(m.Contents), Next: m.Next.String()})
		}
		switch {
		case c.all:
			return c.printJSON(out)
		case len(out) == 1:
			return c.printJSON(out[0])
		}
		return nil
	}
	for _, m := range msgs {
		if _, err := fmt.Fprintf(c.stdout, "%s\nnext %v\n", display(m.Contents), m.Next); err != nil {
			return err
		}
	}
	return nil
}
