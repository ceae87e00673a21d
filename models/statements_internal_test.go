package models

import (
	"context"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// Every kind of statement is counted for the context that carries the counter, and only for it.
func TestStatementCounter(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
		ctx := context.Background()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var c StatementCounter
		counted := CountStatements(ctx, &c)
		if _, err := s.CreateReseller(counted, licensing.ResellerDraft{Name: "Counted"}, time.Now()); err != nil { // an insert
			t.Fatal(err)
		}
		var n int64
		if err := s.ctx(counted).Model(&Reseller{}).Count(&n).Error; err != nil { // a query
			t.Fatal(err)
		}
		var name string
		if err := s.ctx(counted).Raw("SELECT name FROM resellers LIMIT 1").Scan(&name).Error; err != nil { // raw
			t.Fatal(err)
		}
		if err := s.ctx(counted).Exec("UPDATE resellers SET name = name").Error; err != nil { // exec
			t.Fatal(err)
		}
		if _, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: "Not counted"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := c.Count(); got != 4 {
			t.Fatalf("counted %d statements, want 4", got)
		}
	})
}
