package models

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A key revoked through one replica stops working there at once and on every other replica
// within the cache's TTL; a request on a cached key costs no statement.
func TestKeyCacheRevocationDelay(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, a *Store, url string) {
		ctx := context.Background()
		if err := a.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		b, err := Open(ctx, Config{DatabaseURL: url, KeyCacheTTL: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		k, err := a.CreateFirstOperatorKey(ctx, "cached")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*Store{a, b} {
			if _, err := s.Authenticate(ctx, k.Token); err != nil {
				t.Fatalf("a new key: %v", err)
			}
		}
		var c StatementCounter
		if _, err := b.Authenticate(CountStatements(ctx, &c), k.Token); err != nil || c.Count() != 0 {
			t.Fatalf("a cached key: %v, %d statements", err, c.Count())
		}
		if _, err := b.Authenticate(ctx, k.Token[:len(k.Token)-1]+"x"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("a wrong secret for a cached key id: %v", err)
		}
		if _, err := a.RevokeAPIKey(ctx, Caller{Role: RoleOperator}, k.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Authenticate(ctx, k.Token); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("revoked through this replica: %v", err)
		}
		deadline := time.Now().Add(2 * time.Second)
		for {
			_, err := b.Authenticate(ctx, k.Token)
			if errors.Is(err, ErrUnauthenticated) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the other replica still accepts the revoked key after 2s (TTL 300ms)")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
