// Package scout lets a small group of mutually trusted peers find each other
// through the BitTorrent mainline DHT, with no server of its own. It is a
// re-implementation of BitTorrent's libscout, byte-compatible with it.
//
// # Keys
//
// Each peer has an X25519 key pair ([GenerateKeyPair]). Two peers that know
// each other's public keys compute the same [SharedSecret] ([KeyExchange]).
// The secret seeds the ed25519 key pair that signs a BEP 44 mutable item
// (no salt; its target is SHA1 of the public key, [SharedSecret.Target]) and
// is the secretbox key that seals what is stored there: only holders of the
// secret can read or write it.
//
// # Entries and synchronization
//
// An [Entries] list maps ids to small values (at most 255 bytes, at most 255
// entries, 956 bytes of plaintext in all), each with a sequence number that
// [Entries.Assign] bumps. [Session.Synchronize] reads every copy of the list
// from the nodes closest to the target, opens and merges them (newer seq
// wins, and entries this side assigned win over older remote copies),
// reports new entries, lets the application change the result, then seals,
// signs with the highest item seq seen + 1 and writes it back with BEP 44
// cas, retrying the merge when a concurrent writer got in first.
//
// # Keeping, watching, removing
//
// Nodes drop items a while after they were put (2 hours). [Session.Keep]
// keeps a shared list alive and [Session.KeepList] a message list: they put
// the newest signed items again, byte for byte, to the nodes now closest to
// them, every [KeepOptions] interval; [Session.Kept] lists what is kept.
// [Session.Watch] polls a shared list with BEP 44's seq, so that nodes
// answer without the value until it changes, and reports each new version.
// [Entries.Remove] leaves a tombstone, an entry with an empty value and a
// bumped seq, that wins the merge wherever the list is copied, so that a
// removal is not undone by a peer's older copy; lists hide tombstones, and
// Synchronize drops them after [Options.TombstoneTTL].
//
// # Offline messages
//
// Immutable items form a linked list: each message blob carries the hash of
// the message before it. [ListHead.PushFront] computes the new head locally,
// [Session.Put] stores a message, [Session.Get] fetches one and the next
// hash, [Session.GetList] walks the list newest first.
//
// # Sessions
//
// A [Session] is a DHT node running in the background. Its operations take a
// context, are safe to call from many goroutines, and end with exactly one
// result: an error matching one of the kinds in errors.go (ErrNotFound,
// ErrTimeout, ErrCancelled when [Session.Stop] ends them, ...).
//
// The node is the module's own DHT engine (internal/dht over the strict
// KRPC codec of internal/krpc): it owns its socket, answers queries from
// its own routing table and bounded BEP 44 store, and walks the DHT with
// its own lookup whose query timeouts follow measured round trips. No
// datagram from the network is parsed by anything else. Package
// scout/swarm starts a loopback swarm of such nodes for tests and demos.
package scout
