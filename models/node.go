package models

import (
	"context"
	"strings"
	"time"
)

// Lookups shared by every concept: one row by id in the caller's scope, and node(id:).

// byID loads one tenant row by id within the caller's scope.
func byID[T any](ctx context.Context, s *Store, c Caller, id int64) (*T, error) {
	var row T
	if err := c.scope(s.ctx(ctx)).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err)
	}
	return &row, nil
}

// byIDs loads tenant rows by ids within the caller's scope (for dataloaders).
func byIDs[T any](ctx context.Context, s *Store, c Caller, ids []int64) ([]T, error) {
	var rows []T
	err := c.scope(s.ctx(ctx)).Where("id IN ?", ids).Find(&rows).Error
	return rows, err
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
