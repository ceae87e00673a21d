package resolvers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/execution"
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
	"github.com/vikstrous/dataloadgen"
)

// Loaders batch the field lookups of one request (one query per kind of object, not one per
// row). They are made per request, for its caller, so a cache never crosses tenants.
type Loaders struct {
	Reseller            *dataloadgen.Loader[int64, *models.Reseller]
	Customer            *dataloadgen.Loader[int64, *models.Customer]
	Agreement           *dataloadgen.Loader[int64, *models.Agreement]
	Account             *dataloadgen.Loader[int64, *models.Account]
	ContactsByAgreement *dataloadgen.Loader[int64, []models.AgreementContact]
	DomainsByAccount    *dataloadgen.Loader[int64, []models.AccountDomain]
	AdminsByAccount     *dataloadgen.Loader[int64, []models.AccountAdmin]
	Enrollment          *dataloadgen.Loader[int64, *models.Enrollment]
	LinesByOrder        *dataloadgen.Loader[int64, []models.OrderLine]
	SKU                 *dataloadgen.Loader[string, *models.SKU]
	KeysByOrder         *dataloadgen.Loader[int64, []models.ProductKey]
	// pages holds the nested pages the prefetch walk read (prefetch.go), by pageArgsOf.key.
	pages sync.Map
	// enrollments holds the enrollments looked up by number, so a page asking for an enrollment
	// and its activationStatus reads it once.
	enrollments sync.Map // number -> *numberLookup
}

type numberLookup struct {
	once sync.Once
	e    *models.Enrollment
	err  error
}

// enrollmentByNumber is Store.EnrollmentByNumber, once per number and request.
func (r *Resolver) enrollmentByNumber(ctx context.Context, c models.Caller, number string) (*models.Enrollment, error) {
	l := loaders(ctx)
	if l == nil {
		return r.Store.EnrollmentByNumber(ctx, c, number)
	}
	v, _ := l.enrollments.LoadOrStore(number, &numberLookup{})
	lookup := v.(*numberLookup)
	lookup.once.Do(func() { lookup.e, lookup.err = r.Store.EnrollmentByNumber(ctx, c, number) })
	return lookup.e, lookup.err
}

type loadersKey struct{}

// byID makes a loader of single rows from a batch query by ids.
func byID[T any](c models.Caller, fetch func(context.Context, models.Caller, []int64) ([]T, error), id func(*T) int64) *dataloadgen.Loader[int64, *T] {
	return dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*T, error) {
		rows, err := fetch(ctx, c, ids)
		out := make(map[int64]*T, len(rows))
		for i := range rows {
			out[id(&rows[i])] = &rows[i]
		}
		return out, err
	}, dataloadgen.WithWait(time.Millisecond))
}

// byParent makes a loader of child lists from a batch query by parent ids.
func byParent[T any](c models.Caller, fetch func(context.Context, models.Caller, []int64) ([]T, error), parent func(*T) int64) *dataloadgen.Loader[int64, []T] {
	return dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]T, []error) {
		rows, err := fetch(ctx, c, ids)
		groups := map[int64][]T{}
		for i := range rows {
			groups[parent(&rows[i])] = append(groups[parent(&rows[i])], rows[i])
		}
		out := make([][]T, len(ids))
		errs := make([]error, len(ids))
		for i, id := range ids {
			out[i], errs[i] = groups[id], err
		}
		return out, errs
	}, dataloadgen.WithWait(time.Millisecond))
}

// lazyLoaders makes a request's loaders on first use: a request that loads nothing related (a
// small query, a refused one) pays nothing for them.
type lazyLoaders struct {
	once  sync.Once
	store *models.Store
	c     models.Caller
	l     *Loaders
}

// WithLoaders attaches the caller's loaders to a request context; they are made on first use.
// The context also records what the prefetch walk read (execution.MarkPrefetched).
func WithLoaders(ctx context.Context, s *models.Store, c models.Caller) context.Context {
	ctx = execution.WithPrefetch(ctx)
	return context.WithValue(ctx, loadersKey{}, &lazyLoaders{store: s, c: c})
}

// newLoaders makes fresh loaders for one request of the caller.
func newLoaders(s *models.Store, c models.Caller) *Loaders {
	return &Loaders{
		Reseller:            byID(c, s.ResellersByID, func(r *models.Reseller) int64 { return r.ID }),
		Customer:            byID(c, s.CustomersByID, func(r *models.Customer) int64 { return r.ID }),
		Agreement:           byID(c, s.AgreementsByID, func(r *models.Agreement) int64 { return r.ID }),
		Account:             byID(c, s.AccountsByID, func(r *models.Account) int64 { return r.ID }),
		ContactsByAgreement: byParent(c, s.ContactsByAgreement, func(r *models.AgreementContact) int64 { return r.AgreementID }),
		DomainsByAccount:    byParent(c, s.DomainsByAccount, func(r *models.AccountDomain) int64 { return r.AccountID }),
		AdminsByAccount:     byParent(c, s.AdminsByAccount, func(r *models.AccountAdmin) int64 { return r.AccountID }),
		Enrollment:          byID(c, s.EnrollmentsByID, func(r *models.Enrollment) int64 { return r.ID }),
		LinesByOrder:        byParent(c, s.LinesByOrder, func(r *models.OrderLine) int64 { return r.OrderID }),
		KeysByOrder:         byParent(c, s.ProductKeysByOrder, func(r *models.ProductKey) int64 { return r.OrderID }),
		// The catalog is shared by every reseller: no caller scope.
		SKU: dataloadgen.NewMappedLoader(func(ctx context.Context, codes []string) (map[string]*models.SKU, error) {
			rows, err := s.SKUsByCode(ctx, codes)
			out := make(map[string]*models.SKU, len(rows))
			for i := range rows {
				out[rows[i].Code] = &rows[i]
			}
			return out, err
		}, dataloadgen.WithWait(time.Millisecond)),
	}
}

func loaders(ctx context.Context) *Loaders {
	lazy, _ := ctx.Value(loadersKey{}).(*lazyLoaders)
	if lazy == nil {
		return nil
	}
	lazy.once.Do(func() { lazy.l = newLoaders(lazy.store, lazy.c) })
	return lazy.l
}

// load runs a single-row loader, reading "missing" as models.ErrNotFound.
func load[T any](ctx context.Context, l *dataloadgen.Loader[int64, *T], id int64) (*T, error) {
	v, err := l.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, models.ErrNotFound
	}
	return v, err
}

// loadSKU loads a catalog entry by code; a code no longer in the catalog answers null.
func loadSKU(ctx context.Context, code string) (*model.Sku, error) {
	k, err := loaders(ctx).SKU.Load(ctx, code)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	return mapSKU(k), err
}

// loadOptional loads the object id names through l and maps it: null for no id, and for an
// object the caller cannot see (as if it were missing).
func loadOptional[T, G any](ctx context.Context, l *dataloadgen.Loader[int64, *T], id *int64, mapf func(*T) *G) (*G, error) {
	if id == nil {
		return nil, nil
	}
	v, err := nullIfNotFound(load(ctx, l, *id))
	return mapf(v), err
}
