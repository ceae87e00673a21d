package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Lookups shared by every concept: one row by id in the caller's scope, and node(id:).

// byID loads one tenant row by id within the caller's scope (shared within a query request).
func byID[T any](ctx context.Context, s *Store, c Caller, id int64) (*T, error) {
	rows, err := byIDs[T](ctx, s, c, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	return &rows[0], nil
}

// findFor reads one of the caller's rows that a new record hangs under (what, on input: "account"
// is "no such account" on "account"), or refuses with NOT_FOUND.
func findFor[T any](ctx context.Context, s *Store, c Caller, id int64, what string) (*T, error) {
	row, err := byID[T](ctx, s, c, id)
	if errors.Is(err, ErrNotFound) {
		return nil, refuse(licensing.CodeNotFound, "no such "+what, what)
	}
	return row, err
}

// lockByID loads one of the caller's rows by id FOR UPDATE, for a write in the transaction that
// depends on it, or refuses with NOT_FOUND on input ("no such " + what).
func lockByID[T any](ctx context.Context, s *Store, c Caller, id int64, what, input string) (*T, error) {
	var row T
	err := c.scope(s.ctx(ctx)).Clauses(lockForUpdate).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, refuse(licensing.CodeNotFound, "no such "+what, input)
	}
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// updateLocked is one transaction that locks one of the caller's rows by id (lockByID) and runs
// change on it; operation names the call in errors.
func updateLocked[T any](ctx context.Context, s *Store, operation string, c Caller, id int64, what, input string, change func(tx *Store, row *T) error) (*T, error) {
	var row *T
	err := s.InTx(ctx, func(tx *Store) error {
		var err error
		if row, err = lockByID[T](ctx, tx, c, id, what, input); err != nil {
			return err
		}
		return change(tx, row)
	})
	return orNil(row, wrap(operation, err))
}

// byIDs loads tenant rows by ids within the caller's scope (for dataloaders; shared within a
// query request, see memo.go).
func byIDs[T any](ctx context.Context, s *Store, c Caller, ids []int64) ([]T, error) {
	return sharedByIDs(ctx, s, c, ids, func(ids []int64) ([]T, error) {
		return scanAll[T](c.scope(s.ctx(ctx).Model(new(T))).Where("id IN ?", ids))
	})
}

// Node loads any tenant object by its type name and id, within the caller's scope.
func (s *Store) Node(ctx context.Context, c Caller, typ string, id int64, asOf time.Time) (any, error) {
	switch typ {
	case "Reseller":
		return s.Reseller(ctx, c, id)
	case "Customer":
		return s.Customer(ctx, c, id)
	case "Agreement":
		return s.Agreement(ctx, c, id)
	case "Enrollment":
		return s.Enrollment(ctx, c, id)
	case "Account":
		return s.Account(ctx, c, id)
	case "AccountUser":
		return byID[AccountUser](ctx, s, c, id)
	case "ApiKey":
		return byID[APIKey](ctx, s, c, id)
	case "Order":
		return byID[Order](ctx, s, c, id)
	case "Reservation":
		return byID[Reservation](ctx, s, c, id)
	case "Subscription":
		return s.SubscriptionAsOf(ctx, c, id, asOf)
	}
	return nil, ErrNotFound
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
