package models

import (
	"context"
	"reflect"
	"sync"
)

// A query request's reads by id, shared: when two parts of one request need the same row (the
// detail page's `enrollment` and `activationStatus` both read the enrollment's agreement and
// account), the second waits for the first's statement instead of sending its own. Unlike a
// loader, nothing waits for a batch window: the first reader reads at once what no one is
// reading yet, and a later one waits only for the rows already on their way. Only query requests
// share (WithReadMemo); a transaction's reads never do.

type readMemo struct {
	mu   sync.Mutex
	rows map[memoKey]*memoRow
}

type memoKey struct {
	typ      reflect.Type // the row's struct
	reseller int64        // the reads' scope; 0 for an operator's (every reseller)
	id       int64
}

type memoRow struct {
	ready chan struct{} // closed once row and err are set
	row   any           // a *T of its own, nil when there is no such row
	err   error
}

type memoCtxKey struct{}

// WithReadMemo lets the reads by id of one query request share their rows. A mutation's request
// must not: its reads after a write would see the rows as they were before.
func WithReadMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoCtxKey{}, &readMemo{rows: map[memoKey]*memoRow{}})
}

// sharedByIDs returns the rows of T with the given ids in the caller's scope, reading with read
// those that no earlier read of the request holds or is reading. Rows come in no set order.
func sharedByIDs[T any](ctx context.Context, s *Store, c Caller, ids []int64, read func(ids []int64) ([]T, error)) ([]T, error) {
	m := memoOf(ctx, s)
	if m == nil {
		return read(ids)
	}
	typ := reflect.TypeFor[T]()
	scope := memoScope(c)
	var missing []int64
	var waiting []*memoRow
	mine := map[int64]*memoRow{}
	m.mu.Lock()
	for _, id := range unique(ids) {
		k := memoKey{typ: typ, reseller: scope, id: id}
		if r, ok := m.rows[k]; ok {
			waiting = append(waiting, r)
			continue
		}
		r := &memoRow{ready: make(chan struct{})}
		m.rows[k], mine[id] = r, r
		missing = append(missing, id)
	}
	m.mu.Unlock()

	var out []T
	if len(missing) > 0 {
		rows, err := read(missing)
		idField := idIndex(typ)
		for i := range rows {
			id := reflect.ValueOf(&rows[i]).Elem().FieldByIndex(idField).Int()
			if r := mine[id]; r != nil {
				row := rows[i] // a copy: the caller may change its own
				r.row = &row
			}
		}
		for _, r := range mine {
			r.err = err
			close(r.ready)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	for _, r := range waiting {
		select {
		case <-r.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if r.err != nil {
			return nil, r.err
		}
		if r.row != nil {
			out = append(out, *r.row.(*T))
		}
	}
	return out, nil
}

// Held tells whether the request's shared reads already hold every row of T with these ids
// (read, or found missing): reading them by id then sends no statement and waits for nothing, so
// the caller need not give the read a goroutine of its own.
func Held[T any](ctx context.Context, s *Store, c Caller, ids []int64) bool {
	m := memoOf(ctx, s)
	if m == nil || len(ids) == 0 {
		return false
	}
	typ, scope := reflect.TypeFor[T](), memoScope(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		r, ok := m.rows[memoKey{typ: typ, reseller: scope, id: id}]
		if !ok {
			return false
		}
		select {
		case <-r.ready:
		default:
			return false // on its way: waiting for it is a round trip's wait
		}
	}
	return true
}

// memoOf is the memo s's reads under ctx share, nil when they share none (not a query request,
// or in a transaction).
func memoOf(ctx context.Context, s *Store) *readMemo {
	m, _ := ctx.Value(memoCtxKey{}).(*readMemo)
	if s.inTx {
		return nil
	}
	return m
}

// sharing tells whether s's reads under ctx share their rows within a query request.
func sharing(ctx context.Context, s *Store) bool { return memoOf(ctx, s) != nil }

// memoScope is the scope of c's shared reads: its reseller, or 0 for every reseller's.
func memoScope(c Caller) int64 {
	if c.AllResellers() {
		return 0
	}
	return c.ResellerID
}

// shareRows adds to the request's shared reads rows of T that a joined read brought besides the
// rows it was asked for (the customers of agreements: AgreementsWithCustomers), so that a later
// read of them by id sends no statement. A row already held or on its way is left as it is.
func shareRows[T any](ctx context.Context, s *Store, c Caller, rows []T) {
	m := memoOf(ctx, s)
	if m == nil || len(rows) == 0 {
		return
	}
	typ := reflect.TypeFor[T]()
	scope := memoScope(c)
	idField := idIndex(typ)
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range rows {
		id := reflect.ValueOf(&rows[i]).Elem().FieldByIndex(idField).Int()
		k := memoKey{typ: typ, reseller: scope, id: id}
		if _, ok := m.rows[k]; ok {
			continue
		}
		row := rows[i]
		r := &memoRow{ready: make(chan struct{}), row: &row}
		close(r.ready)
		m.rows[k] = r
	}
}

// idIndex is the index of the ID field of the row struct t.
func idIndex(t reflect.Type) []int {
	f, ok := t.FieldByName("ID")
	if !ok {
		panic("models: " + t.String() + " has no ID field") // a programming error, caught by any test reading it
	}
	return f.Index
}
