package models

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Within a query request, reads by id share their rows: a row read (or being read) is not read
// again, a read of several ids reads only those no one holds, a row of another scope is its own,
// and without the memo, or in a transaction, every read reads.
func TestReadMemoSharesReadsByID(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		now := time.Now()
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"A", "B", "C"} {
			r, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: name}, now)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		operator := Caller{Role: RoleOperator}
		var c StatementCounter
		counted := CountStatements(WithReadMemo(ctx), &c)

		// Readers of the same row at once: one statement between them, every reader has the row.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := byID[Reseller](counted, s, operator, ids[0])
				if err != nil || r.ID != ids[0] || r.Name != "A" {
					t.Errorf("shared read: %+v, %v", r, err)
				}
			}()
		}
		wg.Wait()
		if c.Count() != 1 {
			t.Fatalf("8 readers of one row sent %d statements, want 1", c.Count())
		}
		rows, err := byIDs[Reseller](counted, s, operator, ids) // A held: reads B and C only
		if err != nil || len(rows) != 3 {
			t.Fatalf("rows %v, %v", rows, err)
		}
		if c.Count() != 2 {
			t.Fatalf("%d statements after reading three rows, one of them held; want 2", c.Count())
		}
		if _, err := byID[Reseller](counted, s, operator, 1<<40); err != ErrNotFound {
			t.Fatalf("a missing row: %v, want ErrNotFound", err)
		}
		if _, err := byID[Reseller](counted, s, operator, 1<<40); err != ErrNotFound || c.Count() != 3 {
			t.Fatalf("a missing row read again: %v after %d statements; want ErrNotFound, not read again (3)", err, c.Count())
		}

		// Another scope is not the operator's: its read reads, and is scoped.
		cu, err := s.CreateCustomer(ctx, operator, &ids[0], licensing.CustomerDraft{OrganizationName: "Contoso", Country: "US"}, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := byID[Customer](counted, s, operator, cu.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := byID[Customer](counted, s, Caller{Role: RoleReseller, ResellerID: ids[1]}, cu.ID); err != ErrNotFound {
			t.Fatalf("another reseller's customer read by a reseller after the operator read it: %v, want ErrNotFound", err)
		}
		if c.Count() != 5 {
			t.Fatalf("a reseller's read after the operator's: %d statements, want 5", c.Count())
		}

		// A transaction reads for itself.
		err = s.InTx(counted, func(tx *Store) error {
			_, err := byID[Reseller](counted, tx, operator, ids[0])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Count() < 6 {
			t.Fatalf("a transaction's read was served from the request's memo (%d statements)", c.Count())
		}

		// Without the memo (a mutation's request), every read reads.
		var plain StatementCounter
		unshared := CountStatements(ctx, &plain)
		for range 2 {
			if _, err := byID[Reseller](unshared, s, operator, ids[0]); err != nil {
				t.Fatal(err)
			}
		}
		if plain.Count() != 2 {
			t.Fatalf("without the memo: %d statements for two reads, want 2", plain.Count())
		}
	})
}
