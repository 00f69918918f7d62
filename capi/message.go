package main

// #include "shim.h"
import "C"

import "github.com/scout-dht/scout/scout"

//export scoutgo_list_push_front
func scoutgo_list_push_front(headp, m *C.uint8_t, n C.size_t, tokenp *C.uint8_t) (st C.int) {
	defer guard(&st)
	var head scout.ListHead
	msg, ok := in(m, n)
	if !inFixed(head[:], headp) || !ok || tokenp == nil {
		return failf(statusInvalid, causeNull)
	}
	token, err := head.PushFront(msg)
	if err != nil {
		return fail(err)
	}
	outFixed(tokenp, token[:])
	outFixed(headp, head[:])
	return statusOK
}

//export scoutgo_message_encode
func scoutgo_message_encode(nextp, m *C.uint8_t, n C.size_t, blob *C.uint8_t, blobLen *C.size_t) (st C.int) {
	defer guard(&st)
	var next scout.Hash
	msg, ok := in(m, n)
	if !inFixed(next[:], nextp) || !ok || blobLen == nil {
		return failf(statusInvalid, causeNull)
	}
	b, err := scout.EncodeMessage(next, msg)
	if err != nil {
		return fail(err)
	}
	return out(blob, blobLen, b)
}

//export scoutgo_message_parse
func scoutgo_message_parse(b *C.uint8_t, n C.size_t, m *C.uint8_t, mLen *C.size_t, nextp *C.uint8_t) (st C.int) {
	defer guard(&st)
	blob, ok := in(b, n)
	if !ok || mLen == nil || nextp == nil {
		return failf(statusInvalid, causeNull)
	}
	msg, next, err := scout.ParseMessage(blob)
	if err != nil {
		return fail(err)
	}
	if st := out(m, mLen, msg); st != statusOK {
		return st
	}
	outFixed(nextp, next[:])
	return statusOK
}

//export scoutgo_message_hash
func scoutgo_message_hash(b *C.uint8_t, n C.size_t, hashp *C.uint8_t) (st C.int) {
	defer guard(&st)
	blob, ok := in(b, n)
	if !ok || hashp == nil {
		return failf(statusInvalid, causeNull)
	}
	h := scout.MessageHash(blob)
	outFixed(hashp, h[:])
	return statusOK
}
