package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/scout-dht/scout/scout"
)

// genKey writes a new secret key, 32 raw bytes, to a file that must not
// exist yet, and prints its public key.
func genKey(_ context.Context, c *cli, args []string) error {
	name := args[0]
	sk, pk, err := scout.GenerateKeyPair()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; not overwriting a key", name)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(sk[:])
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return c.printPublicKey(pk)
}

// dumpKey prints the public key of a secret key file.
func dumpKey(_ context.Context, c *cli, args []string) error {
	sk, err := readSecretKey(args[0])
	if err != nil {
		return err
	}
	return c.printPublicKey(sk.PublicKey())
}

func (c *cli) printPublicKey(pk scout.PublicKey) error {
	if c.json {
		return c.printJSON(struct {
			PublicKey string `json:"public_key"`
		}{pk.String()})
	}
	_, err := fmt.Fprintln(c.stdout, pk)
	return err
}

// readSecretKey reads a key file: exactly scout.KeySize raw bytes.
func readSecretKey(name string) (scout.SecretKey, error) {
	var sk scout.SecretKey
	f, err := os.Open(name)
	if err != nil {
		return sk, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, scout.KeySize+1))
	if err != nil {
		return sk, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) != scout.KeySize {
		more := ""
		if len(b) > scout.KeySize {
			more = " or more"
		}
		return sk, fmt.Errorf("%w: key file %s must hold %d raw bytes (see scout gen-key), it holds %d%s",
			scout.ErrInvalidArgument, name, scout.KeySize, len(b), more)
	}
	copy(sk[:], b)
	return sk, nil
}
