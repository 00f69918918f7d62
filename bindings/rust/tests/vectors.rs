//! Every case of the shared test vectors (`../shared/vectors`, or
//! `SCOUT_VECTORS`), checked through the safe API. Each file is one test;
//! each case runs as a named subtest, and a test fails if any case fails
//! or if a section of its file was never read.
mod common;

use common::{bencode, unhex, Json, JsonExt, Vectors};
use scout::{Entries, Entry, ErrorCode, ListHead};

/// The entries of a vector's `entries` array.
fn entries_of(arr: &Json) -> Vec<Entry> {
    arr.arr()
        .iter()
        .map(|e| Entry {
            id: e.field("id").u32(),
            seq: e.field("seq").i64(),
            value: e.field("content").hex(),
        })
        .collect()
}

/// A list built from a vector's entries, verbatim.
fn list_of(arr: &Json) -> Entries {
    Entries::from_entries(&entries_of(arr)).expect("build the list")
}

#[test]
fn keypairs() {
    let v = Vectors::load("keypairs.json");
    v.each("keypairs", |c| {
        let sk = c.field("secret_key").fixed();
        assert_eq!(
            scout::public_key(&sk).unwrap(),
            c.field("public_key").fixed::<32>()
        );
    });
    v.each("exchanges", |c| {
        let (a_sk, a_pk) = (
            c.field("a_secret_key").fixed(),
            c.field("a_public_key").fixed(),
        );
        let (b_sk, b_pk) = (
            c.field("b_secret_key").fixed(),
            c.field("b_public_key").fixed(),
        );
        let shared: [u8; 32] = c.field("shared").fixed();
        assert_eq!(scout::public_key(&a_sk).unwrap(), a_pk);
        assert_eq!(scout::public_key(&b_sk).unwrap(), b_pk);
        assert_eq!(scout::key_exchange(&a_sk, &b_pk).unwrap(), shared);
        assert_eq!(scout::key_exchange(&b_sk, &a_pk).unwrap(), shared);
    });
    v.each("public_key_high_bit", |c| {
        let pk: [u8; 32] = c.field("public_key").fixed();
        assert!(pk[31] & 0x80 != 0, "the vector's bit 255 is set");
        let shared = scout::key_exchange(&c.field("secret_key").fixed(), &pk).unwrap();
        assert_eq!(shared, c.field("shared").fixed::<32>());
    });
    v.each("exchange_failures", |c| {
        let r = scout::key_exchange(
            &c.field("secret_key").fixed(),
            &c.field("public_key").fixed(),
        );
        assert_eq!(r.map_err(|e| e.code()), Err(ErrorCode::InvalidArgument));
    });
    v.finish();
}

/// Signs and verifies: the signature must be reproduced exactly.
fn check_signature(
    shared: &scout::Key,
    edpk: &scout::Key,
    seq: i64,
    bv: &[u8],
    want: &scout::Signature,
) {
    assert_eq!(&scout::mutable_sign(shared, seq, bv).unwrap(), want);
    assert_eq!(scout::mutable_verify(edpk, seq, bv, want), Ok(()));
}

#[test]
fn signing() {
    let v = Vectors::load("signing.json");
    v.each("keys", |c| {
        let shared: [u8; 32] = c.field("shared_secret").fixed();
        let edpk: [u8; 32] = c.field("ed25519_public_key").fixed();
        let edsk: [u8; 64] = c.field("ed25519_secret_key").fixed();
        assert_eq!(scout::shared_signing_key(&shared).unwrap(), edpk);
        // The 64-byte secret key is seed ‖ public key, the seed being the
        // shared secret.
        assert_eq!(&edsk[..32], &shared[..]);
        assert_eq!(&edsk[32..], &edpk[..]);
        assert_eq!(
            scout::shared_target(&shared).unwrap(),
            c.field("target").fixed::<20>()
        );
    });
    v.each("signatures", |c| {
        let shared = c.field("shared_secret").fixed();
        let edpk = c.field("ed25519_public_key").fixed();
        let seq = c.field("seq").i64();
        let bv = c.field("bencoded_v").hex();
        // The signed buffer is "3:seqi<seq>e1:v" ‖ bencoded_v.
        let mut signed = format!("3:seqi{seq}e1:v").into_bytes();
        signed.extend_from_slice(&bv);
        assert_eq!(signed, c.field("signed_buffer").hex());
        assert_eq!(scout::shared_signing_key(&shared).unwrap(), edpk);
        check_signature(&shared, &edpk, seq, &bv, &c.field("signature").fixed());
    });
    v.each("bad_signatures", |c| {
        let r = scout::mutable_verify(
            &c.field("ed25519_public_key").fixed(),
            c.field("seq").i64(),
            &c.field("bencoded_v").hex(),
            &c.field("signature").fixed(),
        );
        assert_eq!(r.map_err(|e| e.code()), Err(ErrorCode::DecryptFailed));
    });
    v.each("end_to_end", |c| {
        let sk = c.field("my_secret_key").fixed();
        let peer = c.field("peer_public_key").fixed();
        let shared: [u8; 32] = c.field("shared_secret").fixed();
        let edpk: [u8; 32] = c.field("ed25519_public_key").fixed();
        let plaintext = c.field("plaintext").hex();
        let bv = c.field("bencoded_v").hex();
        assert_eq!(scout::key_exchange(&sk, &peer).unwrap(), shared);
        assert_eq!(scout::shared_signing_key(&shared).unwrap(), edpk);
        assert_eq!(
            scout::shared_target(&shared).unwrap(),
            c.field("target").fixed::<20>()
        );
        assert_eq!(list_of(c.field("entries")).serialize().unwrap(), plaintext);
        let sealed =
            scout::seal_with_nonce(&shared, &c.field("nonce").fixed(), &plaintext).unwrap();
        assert_eq!(bencode(&sealed), bv);
        check_signature(
            &shared,
            &edpk,
            c.field("seq").i64(),
            &bv,
            &c.field("signature").fixed(),
        );
        assert_eq!(scout::open(&shared, &sealed).unwrap(), plaintext);
    });
    v.finish();
}

#[test]
fn entries() {
    let v = Vectors::load("entries.json");
    v.each("entry_serialize", |c| {
        let want = Entry {
            id: c.field("id").u32(),
            seq: c.field("seq").i64(),
            value: c.field("content").hex(),
        };
        let list = Entries::from_entries([&want]).unwrap();
        // A one-entry list is the list header (count 1, offset 0) followed
        // by the entry exactly as the vector serializes it alone.
        let bytes = list.serialize().unwrap();
        assert_eq!(&bytes[..2], &[1, 0]);
        assert_eq!(&bytes[2..], &c.field("serialized").hex()[..]);
        let (back, consumed) = Entries::parse_prefix(&bytes).unwrap();
        assert_eq!(consumed, bytes.len());
        assert_eq!(back.get(want.id).unwrap(), Some(want));
    });
    v.each("lists", |c| {
        let want = c.field("serialized").hex();
        let entries = entries_of(c.field("entries"));
        assert_eq!(
            Entries::from_entries(&entries)
                .unwrap()
                .serialize()
                .unwrap(),
            want
        );
        let (back, consumed) = Entries::parse_prefix(&want).unwrap();
        assert_eq!(consumed, want.len());
        assert_eq!(back.to_vec().unwrap(), entries, "order kept");
    });
    v.each("parse_only", |c| {
        let (list, consumed) = Entries::parse_prefix(&c.field("input").hex()).unwrap();
        assert_eq!(consumed, c.field("consumed").usize());
        assert_eq!(list.to_vec().unwrap(), entries_of(c.field("entries")));
        assert_eq!(list.serialize().unwrap(), c.field("canonical").hex());
    });
    v.each("parse_invalid", |c| {
        // (That no partial list is left behind is checked in leaks.rs,
        // where nothing else runs concurrently.)
        let r = Entries::parse_prefix(&c.field("input").hex());
        assert_eq!(
            r.map_err(|e| e.code()).err(),
            Some(ErrorCode::InvalidArgument)
        );
    });
    v.finish();
}

#[test]
fn sealed() {
    let v = Vectors::load("sealed.json");
    v.each("cases", |c| {
        let key = c.field("key").fixed();
        let plaintext = c.field("plaintext").hex();
        let sealed = c.field("sealed").hex();
        let mine = scout::seal_with_nonce(&key, &c.field("nonce").fixed(), &plaintext).unwrap();
        assert_eq!(mine, sealed);
        assert_eq!(mine.len(), c.field("sealed_length").usize());
        assert_eq!(mine.len(), plaintext.len() + scout::SEAL_OVERHEAD);
        let bv = bencode(&mine);
        assert_eq!(bv, c.field("bencoded_v").hex());
        assert_eq!(bv.len(), c.field("bencoded_length").usize());
        assert_eq!(bv.len() <= 1000, c.field("fits_bep44").bool());
        let opened = scout::open(&key, &sealed).unwrap();
        assert_eq!(opened, plaintext);
        let list = Entries::parse(&opened).unwrap();
        assert_eq!(list.to_vec().unwrap(), entries_of(c.field("entries")));
        assert_eq!(list.serialize().unwrap(), plaintext);
        // A random nonce gives another seal of the same size that opens to
        // the same plaintext.
        let random = scout::seal(&key, &plaintext).unwrap();
        assert_eq!(random.len(), sealed.len());
        assert_ne!(random, sealed);
        assert_eq!(scout::open(&key, &random).unwrap(), plaintext);
    });
    v.each("open_failures", |c| {
        let r = scout::open(&c.field("key").fixed(), &c.field("sealed").hex());
        assert_eq!(
            r.map_err(|e| e.code()),
            Err(ErrorCode::DecryptFailed),
            "{}",
            c.field("note").str()
        );
        // valid_secretbox marks a genuine seal of an empty plaintext that
        // the original refuses too: the field only documents that case.
        let _ = c.field("valid_secretbox").bool();
    });
    v.finish();
}

#[test]
fn messages() {
    let v = Vectors::load("messages.json");
    v.each("blobs", |c| {
        let msg = c.field("message").hex();
        let next: [u8; 20] = c.field("next_hash").fixed();
        let blob = c.field("blob").hex();
        let bv = c.field("bencoded_v").hex();
        let target: [u8; 20] = c.field("target").fixed();
        let fits = c.field("fits_bep44").bool();
        assert_eq!(bv.len(), c.field("bencoded_length").usize());
        assert_eq!(bv.len() <= 1000, fits);
        assert_eq!(bencode(&blob), bv);
        assert_eq!(scout::message_hash(&blob).unwrap(), target);
        let mut head = ListHead::from_hash(next);
        if fits {
            assert_eq!(scout::message_encode(&next, &msg).unwrap(), blob);
            assert_eq!(scout::message_parse(&blob).unwrap(), (msg.clone(), next));
            // Pushing it onto a list whose head is next_hash stores this
            // blob.
            assert_eq!(head.push_front(&msg).unwrap(), next);
            assert_eq!(head.hash(), target);
        } else {
            // A put must refuse it: encoding and pushing do.
            assert_eq!(
                (scout::message_encode(&next, &msg)).map_err(|e| e.code()),
                Err(ErrorCode::TooLarge)
            );
            assert_eq!(
                head.push_front(&msg).map_err(|e| e.code()),
                Err(ErrorCode::TooLarge)
            );
            assert_eq!(head.hash(), next, "head unchanged");
        }
    });
    v.each("parse_only", |c| {
        let parsed = scout::message_parse(&c.field("blob").hex()).unwrap();
        assert_eq!(
            parsed,
            (c.field("message").hex(), c.field("next_hash").fixed())
        );
    });
    v.each("parse_invalid", |c| {
        assert_eq!(
            (scout::message_parse(&c.field("blob").hex())).map_err(|e| e.code()),
            Err(ErrorCode::InvalidArgument)
        );
    });
    let list = v.field("list");
    let steps = list.field("push_front").arr();
    v.run("list/push_front", || {
        let empty: [u8; 20] = list.field("empty_head").fixed();
        assert_eq!(empty, [0u8; 20]);
        let mut head = ListHead::from_hash(empty);
        assert!(head.is_empty());
        for c in steps {
            assert_eq!(head.hash(), c.field("head_before").fixed::<20>());
            let msg = c.field("message").hex();
            let token = head.push_front(&msg).unwrap();
            assert_eq!(token, c.field("token").fixed::<20>());
            assert_eq!(head.hash(), c.field("head_after").fixed::<20>());
            let blob = scout::message_encode(&token, &msg).unwrap();
            assert_eq!(blob, c.field("blob").hex());
            assert_eq!(bencode(&blob), c.field("bencoded_v").hex());
            assert_eq!(scout::message_hash(&blob).unwrap(), head.hash());
        }
        assert_eq!(head.hash(), list.field("final_head").fixed::<20>());
    });
    v.run("list/walk", || {
        // Walk back from the final head: each target is the hash of a
        // pushed blob, which parses to the walk's message and next hash.
        let mut at: [u8; 20] = list.field("final_head").fixed();
        let walk = list.field("walk").arr();
        assert_eq!(walk.len(), steps.len());
        for w in walk {
            let target: [u8; 20] = w.field("target").fixed();
            assert_eq!(target, at);
            let blob = steps
                .iter()
                .map(|s| s.field("blob").hex())
                .find(|b| scout::message_hash(b).unwrap() == target)
                .expect("the target is one of the pushed blobs");
            let (msg, next) = scout::message_parse(&blob).unwrap();
            assert_eq!(msg, w.field("message").hex());
            assert_eq!(next, w.field("next_hash").fixed::<20>());
            at = next;
        }
        assert_eq!(at, [0u8; 20], "the list ends with 20 zero bytes");
    });
    v.finish();
}

#[test]
fn limits() {
    let v = Vectors::load("limits.json");
    v.run("sizes", || {
        let sizes: [(&str, usize); 17] = [
            ("bep44_max_bencoded_v", 1000),
            ("entries_header_size", scout::ffi::SCOUT_ENTRIES_HEADER_SIZE),
            ("entry_header_size", scout::ffi::SCOUT_ENTRY_HEADER_SIZE),
            ("entry_max_content_length", scout::MAX_VALUE_SIZE),
            ("entry_list_max_count", scout::MAX_ENTRIES),
            ("nonce_size", scout::NONCE_SIZE),
            ("mac_size", scout::SEAL_OVERHEAD - scout::NONCE_SIZE),
            ("seal_overhead", scout::SEAL_OVERHEAD),
            ("min_sealed_length_accepted", scout::MIN_SEALED_SIZE),
            ("max_sealed_plaintext", scout::MAX_PLAINTEXT),
            ("max_sealed_length", scout::MAX_SEALED_SIZE),
            ("msg_header_size", scout::MESSAGE_HEADER_SIZE),
            ("max_message_length", scout::MAX_MESSAGE_SIZE),
            ("max_message_blob_length", scout::MAX_BLOB_SIZE),
            ("hash_size", scout::HASH_SIZE),
            ("key_size", scout::KEY_SIZE),
            ("ed25519_signature_size", scout::SIGNATURE_SIZE),
        ];
        for (key, want) in sizes {
            assert_eq!(v.field(key).usize(), want, "{key}");
        }
    });
    v.run("max_entries_sealable", || {
        // n entries with empty (or 255-byte) content fit once sealed; one
        // more does not.
        let key = [1u8; 32];
        let nonce = [2u8; 24];
        for (field, len) in [
            ("max_entries_empty_content_sealable", 0),
            ("max_entries_content_255_sealable", 255),
        ] {
            let n = v.field(field).u32();
            let mut list = Entries::new().unwrap();
            for id in 0..n {
                list.set(id, 1, &vec![b'v'; len]).unwrap();
            }
            scout::seal_with_nonce(&key, &nonce, &list.serialize().unwrap()).unwrap();
            list.set(n, 1, &vec![b'v'; len]).unwrap();
            let r = scout::seal_with_nonce(&key, &nonce, &list.serialize().unwrap());
            assert_eq!(
                r.map_err(|e| e.code()),
                Err(ErrorCode::TooLarge),
                "{field}: {} entries",
                n + 1
            );
        }
    });
    v.each("examples", |c| {
        let kind = c.field("kind").str();
        let length = c.field("length").usize();
        let want = c.field("bencoded_v_length").usize();
        let input = vec![0u8; length];
        let (result, overhead) = match kind {
            "entry_list_plaintext" => (
                scout::seal_with_nonce(&[1; 32], &[2; 24], &input),
                scout::SEAL_OVERHEAD,
            ),
            "message" => (
                scout::message_encode(&[0; 20], &input),
                scout::MESSAGE_HEADER_SIZE,
            ),
            other => panic!("unknown kind {other}"),
        };
        if c.field("fits").bool() {
            assert_eq!(bencode(&result.unwrap()).len(), want);
        } else {
            assert_eq!(result.map_err(|e| e.code()), Err(ErrorCode::TooLarge));
            // What it would have taken: the value and its length prefix.
            let would = length + overhead;
            assert_eq!(format!("{would}:").len() + would, want);
            assert!(want > 1000);
        }
    });
    v.finish();
}

#[test]
fn hex_helper() {
    assert_eq!(unhex("00ff10"), [0, 255, 16]);
}
