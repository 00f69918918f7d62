package scout_test

import (
	"context"
	"fmt"
	"log"

	"github.com/scout-dht/scout/scout"
	"github.com/scout-dht/scout/scout/swarm"
)

// Two peers find each other's devices on a loopback swarm, and one leaves
// the other a message.
func Example() {
	ctx := context.Background()
	sw, err := swarm.Start(ctx, swarm.Options{Nodes: 16})
	if err != nil {
		log.Fatal(err)
	}
	defer sw.Close()

	aliceSecret, alicePublic, _ := scout.GenerateKeyPair()
	bobSecret, bobPublic, _ := scout.GenerateKeyPair()
	shared, _ := scout.KeyExchange(aliceSecret, bobPublic) // Bob computes the same from bobSecret, alicePublic
	bobShared, _ := scout.KeyExchange(bobSecret, alicePublic)

	join := func() *scout.Session {
		s, err := scout.NewSession(scout.Options{ListenAddr: "127.0.0.1:0", Bootstrap: []string{sw.Bootstrap()}})
		if err != nil {
			log.Fatal(err)
		}
		if err := s.Start(ctx); err != nil {
			log.Fatal(err)
		}
		return s
	}
	alice, bob := join(), join()
	defer alice.Stop()
	defer bob.Stop()

	mine := scout.NewEntries()
	mine.Assign(1, []byte("alice-laptop 10.0.0.5:4000"))
	if _, err := alice.Synchronize(ctx, shared, mine, scout.SyncHandler{}); err != nil {
		log.Fatal(err)
	}

	var head scout.ListHead
	token, _ := head.PushFront([]byte("see you at 8"))
	if _, err := alice.Put(ctx, token, []byte("see you at 8")); err != nil {
		log.Fatal(err)
	}

	_, err = bob.Synchronize(ctx, bobShared, nil, scout.SyncHandler{
		EntryUpdated: func(e scout.Entry) { fmt.Printf("bob sees entry %d: %s\n", e.ID, e.Value) },
	})
	if err != nil {
		log.Fatal(err)
	}
	msg, err := bob.Get(ctx, head.Hash())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bob reads: %s (last: %v)\n", msg.Contents, msg.Next.IsZero())
	// Output:
	// bob sees entry 1: alice-laptop 10.0.0.5:4000
	// bob reads: see you at 8 (last: true)
}
