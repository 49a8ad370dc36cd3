package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/trellisproject/trellis/store"
)

// Open a store, write a record in a transaction and read it back.
func Example() {
	dir, err := os.MkdirTemp("", "trellis-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, dir, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	seq, err := s.Update(ctx, func(tx store.Tx) error {
		svc, err := tx.Create(store.Record{
			Kind: "service",
			ID:   "svc-0123456789abcdef0",
			Name: "orders",
			Body: json.RawMessage(`{"authType":"AWS_IAM"}`),
		})
		if err != nil {
			return err
		}
		_, err = tx.Create(store.Record{
			Kind:   "listener",
			ID:     "listener-0123456789abcdef0",
			Parent: svc.ID,
			Name:   "http",
			Body:   json.RawMessage(`{"protocol":"HTTP","port":80}`),
		})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed change", seq)

	err = s.View(ctx, func(tx store.ReadTx) error {
		svc, err := tx.GetByName("service", "", "orders")
		if err != nil {
			return err
		}
		fmt.Println(svc.ID, "version", svc.Version, string(svc.Body))
		listeners, _, err := tx.List("listener", store.ListOptions{Parent: svc.ID})
		if err != nil {
			return err
		}
		for _, l := range listeners {
			fmt.Println(" ", l.Name, string(l.Body))
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// committed change 1
	// svc-0123456789abcdef0 version 1 {"authType":"AWS_IAM"}
	//   http {"protocol":"HTTP","port":80}
}

// Read a record, change it and write it back with the version that was
// read. If another writer changed it in between, Put fails with ErrConflict
// and the caller reads again.
func ExampleTx_Put() {
	dir, err := os.MkdirTemp("", "trellis-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, dir, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(store.Record{Kind: "service", ID: "svc-1", Body: json.RawMessage(`{"authType":"NONE"}`)})
		return err
	}); err != nil {
		log.Fatal(err)
	}

	for {
		// Read, as an API handler would, outside the write transaction.
		var svc store.Record
		if err := s.View(ctx, func(tx store.ReadTx) error {
			svc, err = tx.Get("service", "svc-1")
			return err
		}); err != nil {
			log.Fatal(err)
		}
		svc.Body = json.RawMessage(`{"authType":"AWS_IAM"}`)
		_, err := s.Update(ctx, func(tx store.Tx) error {
			svc, err = tx.Put(svc) // fails if svc.Version is no longer the stored one
			return err
		})
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		break
	}
	fmt.Println("updated")
	// Output: updated
}

// Watch delivers the current change sequence number, then the number after
// each commit, so a consumer rebuilds its view of the store when something
// changed.
func ExampleSQLite_Watch() {
	dir, err := os.MkdirTemp("", "trellis-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.OpenSQLite(ctx, dir, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	changes := s.Watch(ctx)
	fmt.Println("at", <-changes)
	if _, err := s.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Create(store.Record{Kind: "service", ID: "svc-1", Body: json.RawMessage(`{}`)})
		return err
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("changed, now at", <-changes)
	// Output:
	// at 0
	// changed, now at 1
}
