package models

import (
	"context"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// StatementCounter counts the SQL statements run for a context: the number of statements of a
// request is a property of its query's shape, and tests and benchmarks assert it (issue 11).
type StatementCounter struct {
	n atomic.Int64
	// Keep makes the counter keep each statement's SQL (without its values), for a test or a
	// benchmark to say which statements a request ran.
	Keep bool
	mu   sync.Mutex
	sql  []string
}

// Statements returns the SQL kept so far (Keep).
func (c *StatementCounter) Statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sql...)
}

type counterKey struct{}

// CountStatements returns a context whose store calls are counted by c.
func CountStatements(ctx context.Context, c *StatementCounter) context.Context {
	return context.WithValue(ctx, counterKey{}, c)
}

// Count is the number of statements counted so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// registerStatementCounter adds a callback after every kind of statement GORM runs; it costs
// one context lookup per statement when nothing is counted.
func registerStatementCounter(db *gorm.DB) error {
	count := func(tx *gorm.DB) {
		if tx.Statement == nil || tx.Statement.Context == nil || tx.DryRun {
			return // a dry run only builds SQL (a subquery of another statement)
		}
		if c, ok := tx.Statement.Context.Value(counterKey{}).(*StatementCounter); ok {
			c.n.Add(1)
			if c.Keep {
				c.mu.Lock()
				c.sql = append(c.sql, tx.Statement.SQL.String())
				c.mu.Unlock()
			}
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("licensing:count_create", count),
		cb.Query().After("gorm:query").Register("licensing:count_query", count),
		cb.Update().After("gorm:update").Register("licensing:count_update", count),
		cb.Delete().After("gorm:delete").Register("licensing:count_delete", count),
		cb.Row().After("gorm:row").Register("licensing:count_row", count),
		cb.Raw().After("gorm:raw").Register("licensing:count_raw", count),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
