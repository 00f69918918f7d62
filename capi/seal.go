package main

// #include "shim.h"
import "C"

import "github.com/scout-dht/scout/scout"

// scoutgo_seal backs scout_seal (nonce NULL: random) and
// scout_seal_with_nonce.
//
//export scoutgo_seal
func scoutgo_seal(keyp, noncep, pt *C.uint8_t, n C.size_t, sealed *C.uint8_t, sealedLen *C.size_t) (st C.int) {
	defer guard(&st)
	var key scout.SharedSecret
	plaintext, ok := in(pt, n)
	if !inFixed(key[:], keyp) || !ok || sealedLen == nil {
		return failf(statusInvalid, causeNull)
	}
	var s []byte
	var err error
	if noncep == nil {
		s, err = scout.Seal(key, plaintext)
	} else {
		var nonce [scout.NonceSize]byte
		inFixed(nonce[:], noncep)
		s, err = scout.SealWithNonce(key, nonce, plaintext)
	}
	if err != nil {
		return fail(err)
	}
	return out(sealed, sealedLen, s)
}

//export scoutgo_open
func scoutgo_open(keyp, sp *C.uint8_t, n C.size_t, pt *C.uint8_t, ptLen *C.size_t) (st C.int) {
	defer guard(&st)
	var key scout.SharedSecret
	sealed, ok := in(sp, n)
	if !inFixed(key[:], keyp) || !ok || ptLen == nil {
		return failf(statusInvalid, causeNull)
	}
	plaintext, err := scout.Open(key, sealed)
	if err != nil {
		return fail(err)
	}
	return out(pt, ptLen, plaintext)
}
