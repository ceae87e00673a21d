package models

import (
	"context"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrNotFound means the object does not exist for this caller. Another reseller's object is
// reported exactly like a missing one.
var ErrNotFound = errors.New("not found")

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// where narrows q by cond on *v when a filter sets v; an unset (nil) filter keeps every row.
func where[T any](q *gorm.DB, cond string, v *T) *gorm.DB {
	if v == nil {
		return q
	}
	return q.Where(cond, *v)
}

// A cond is one condition of a list's filter: it narrows the query, or keeps it as it is when
// the filter leaves the condition unset.
type cond func(*gorm.DB) *gorm.DB

// is is the condition sql on the value v of a filter's field, unset when v is nil.
func is[V any](sql string, v *V) cond { return func(q *gorm.DB) *gorm.DB { return where(q, sql, v) } }

// filtered lists one page, by id, of the caller's rows of T that meet every condition.
func filtered[T any](ctx context.Context, s *Store, c Caller, p Page, conds ...cond) (*List[T], error) {
	q := c.scope(s.ctx(ctx).Model(new(T)))
	for _, narrow := range conds {
		q = narrow(q)
	}
	return list[T](s, q, p)
}

// lockForUpdate marks a read that a write in the same transaction depends on.
var lockForUpdate = clause.Locking{Strength: "UPDATE"}

// Page asks for First rows after the row with id After (keyset pagination, by id).
type Page struct {
	First int
	After int64
	// WithoutTotal skips counting the rows (List.Total stays 0): the caller did not ask for it.
	WithoutTotal bool
}

// List is one page of rows with the total count of the query.
type List[T any] struct {
	Items   []T
	HasNext bool
	Total   int64
}

// list runs q (already scoped and filtered) for one page, ordered by id. The count and the page
// are read at the same time (one after the other in a transaction): a page waits for one round
// trip, not two.
func list[T any](s *Store, q *gorm.DB, p Page) (*List[T], error) {
	var total int64
	var items []T
	read := []func() error{func() (err error) {
		qq := q.Session(&gorm.Session{})
		if p.After != 0 {
			qq = qq.Where("id > ?", p.After)
		}
		items, err = scanAll[T](qq.Order("id").Limit(p.First + 1))
		return err
	}}
	if !p.WithoutTotal {
		read = append(read, func() error { return q.Session(&gorm.Session{}).Count(&total).Error })
	}
	if err := s.concurrently(read...); err != nil {
		return nil, err
	}
	out := &List[T]{Total: total}
	if len(items) > p.First {
		out.HasNext = true
		items = items[:p.First]
	}
	out.Items = items
	return out, nil
}

// orNil drops the object of a failed write: a refused call returns no half-made object.
func orNil[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}
