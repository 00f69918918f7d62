package dht

import (
	"crypto/rand"
	"strconv"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
