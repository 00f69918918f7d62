package main

// #include "shim.h"
import "C"

import "github.com/scout-dht/scout/scout"

//export scoutgo_generate_keypair
func scoutgo_generate_keypair(sk, pk *C.uint8_t) (st C.int) {
	defer guard(&st)
	if sk == nil || pk == nil {
		return failf(statusInvalid, causeNull)
	}
	s, p, err := scout.GenerateKeyPair()
	if err != nil {
		return failf(statusInternal, "the system's random source failed: %v", err)
	}
	outFixed(sk, s[:])
	outFixed(pk, p[:])
	return statusOK
}

//export scoutgo_public_key
func scoutgo_public_key(skp, pk *C.uint8_t) (st C.int) {
	defer guard(&st)
	var sk scout.SecretKey
	if !inFixed(sk[:], skp) || pk == nil {
		return failf(statusInvalid, causeNull)
	}
	p := sk.PublicKey()
	outFixed(pk, p[:])
	return statusOK
}

//export scoutgo_key_exchange
func scoutgo_key_exchange(skp, peerp, shared *C.uint8_t) (st C.int) {
	defer guard(&st)
	var sk scout.SecretKey
	var peer scout.PublicKey
	if !inFixed(sk[:], skp) || !inFixed(peer[:], peerp) || shared == nil {
		return failf(statusInvalid, causeNull)
	}
	s, err := scout.KeyExchange(sk, peer)
	if err != nil {
		return fail(err)
	}
	outFixed(shared, s[:])
	return statusOK
}

//export scoutgo_shared_target
func scoutgo_shared_target(sharedp, target *C.uint8_t) (st C.int) {
	defer guard(&st)
	var s scout.SharedSecret
	if !inFixed(s[:], sharedp) || target == nil {
		return failf(statusInvalid, causeNull)
	}
	t := s.Target()
	outFixed(target, t[:])
	return statusOK
}

//export scoutgo_shared_signing_key
func scoutgo_shared_signing_key(sharedp, pk *C.uint8_t) (st C.int) {
	defer guard(&st)
	var s scout.SharedSecret
	if !inFixed(s[:], sharedp) || pk == nil {
		return failf(statusInvalid, causeNull)
	}
	p := s.SigningPublicKey()
	outFixed(pk, p[:])
	return statusOK
}

//export scoutgo_mutable_sign
func scoutgo_mutable_sign(sharedp *C.uint8_t, seq C.int64_t, v *C.uint8_t, n C.size_t, sig *C.uint8_t) (st C.int) {
	defer guard(&st)
	var s scout.SharedSecret
	bv, ok := in(v, n)
	if !inFixed(s[:], sharedp) || !ok || sig == nil {
		return failf(statusInvalid, causeNull)
	}
	signature := scout.SignMutable(s.SigningKey(), int64(seq), bv)
	outFixed(sig, signature[:])
	return statusOK
}

//export scoutgo_mutable_verify
func scoutgo_mutable_verify(pkp *C.uint8_t, seq C.int64_t, v *C.uint8_t, n C.size_t, sigp *C.uint8_t) (st C.int) {
	defer guard(&st)
	var pk [scout.KeySize]byte
	var sig [scout.SignatureSize]byte
	bv, ok := in(v, n)
	if !inFixed(pk[:], pkp) || !ok || !inFixed(sig[:], sigp) {
		return failf(statusInvalid, causeNull)
	}
	if !scout.VerifyMutable(pk, int64(seq), bv, sig) {
		return failf(statusDecrypt, "the signature does not verify with this key, seq and value")
	}
	return statusOK
}
