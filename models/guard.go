package models

import (
	"context"

	"gorm.io/gorm"
)

// Guard rows (issue 12): an invariant that a transaction checks before it writes (licensed ≥
// assigned, one activation email for an enrollment's first order, at most so many webhook
// endpoints) holds on a Galera cluster only if a conflicting transaction on another node is
// refused by the database. SELECT ... FOR UPDATE locks on its own node only, and Galera
// certifies the rows a transaction wrote, not those it read. So a transaction that decides from
// a row also writes it: its revision goes up by one (a real change: an UPDATE that leaves a row
// as it was is no write for certification). Of two transactions that decided from one row on
// two nodes, the second to commit then fails certification (1213), and InTx runs it again,
// reading what the first wrote. On one server the UPDATE takes the row lock as well.

// guarded names the tables with a revision column (migration 0011).
type guarded string

const (
	guardAccount    guarded = "accounts"    // the account's license pools
	guardEnrollment guarded = "enrollments" // what processing and association decide for it
	guardReseller   guarded = "resellers"   // its webhook endpoint cap
)

// guard writes the row id of table (its revision + 1) in the transaction of a decision that
// depends on it. Call it inside InTx, after reading the row; ids are unique across resellers.
func (s *Store) guard(ctx context.Context, table guarded, id int64) error {
	return s.ctx(ctx).Table(string(table)).Where("id = ?", id).UpdateColumn("revision", gorm.Expr("revision + 1")).Error
}
