package resolvers

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/execution"
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/scalars"
	"github.com/licensing-api/licensing-api/stack"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"
)

// Prefetching: when a list is resolved, what the query asks for below its items is read for all
// of them at once, one statement per field, before gqlgen resolves the items one by one. The
// walk follows the query's own selection, level by level: a page of enrollments reads its
// agreements in one statement, their customers in one more, the enrollments' pages of
// subscriptions in one, and so on. Objects land in the request's loaders (primed) and nested
// pages in its page cache, where the field resolvers find them; a field the walk does not know,
// or one whose read failed, is resolved by its own resolver as before. So the statements of a
// request follow the shape of its query, not the size of its pages, and batching never depends
// on a timing window (issue 11).

// prefetcher reads one field of a type for many parents and returns what it read, as the next
// level's parents, with their GraphQL type and selection.
type prefetcher func(ctx context.Context, r *Resolver, c models.Caller, parents []any, f graphql.CollectedField) (next []any, typ string, sel ast.SelectionSet, err error)

// prefetchField is how the walk reads one field: read, and for a field read by id, held, which
// tells whether the request already holds what read would read for these parents (rows an
// earlier read shared, models.Held): such a read sends no statement and needs no goroutine (but
// for the customers of held agreements, if no read brought them: one statement, in place).
type prefetchField struct {
	read prefetcher
	held func(ctx context.Context, r *Resolver, c models.Caller, parents []any) bool
}

// prefetchers by "Type.field". The connections among them are also served from the page cache
// by their resolvers (cachedPage).
var prefetchers = map[string]prefetchField{
	"Enrollment.agreement":           objectField(func(e *model.Enrollment) *int64 { return &e.AgreementID }, "Agreement", agreementRows, models.Held[models.Agreement]),
	"Enrollment.account":             objectField(func(e *model.Enrollment) *int64 { return e.AccountID }, "Account", accountRows, models.Held[models.Account]),
	"Enrollment.renewedFrom":         objectField(func(e *model.Enrollment) *int64 { return e.RenewedFromID }, "Enrollment", enrollmentRows, models.Held[models.Enrollment]),
	"Agreement.customer":             objectField(func(a *model.Agreement) *int64 { return &a.CustomerID }, "Customer", customerRows, models.Held[models.Customer]),
	"Account.customer":               objectField(func(a *model.Account) *int64 { return &a.CustomerID }, "Customer", customerRows, models.Held[models.Customer]),
	"Customer.reseller":              objectField(func(c *model.Customer) *int64 { return &c.ResellerID }, "Reseller", resellerRows, nil),
	"Subscription.enrollment":        objectField(func(s *model.Subscription) *int64 { return s.EnrollmentID }, "Enrollment", enrollmentRows, models.Held[models.Enrollment]),
	"Subscription.directAccount":     objectField(func(s *model.Subscription) *int64 { return s.DirectAccountID }, "Account", accountRows, models.Held[models.Account]),
	"Order.enrollment":               objectField(func(o *model.Order) *int64 { return &o.EnrollmentID }, "Enrollment", enrollmentRows, models.Held[models.Enrollment]),
	"Reservation.enrollment":         objectField(func(o *model.Reservation) *int64 { return &o.EnrollmentID }, "Enrollment", enrollmentRows, models.Held[models.Enrollment]),
	"AccountConflictSummary.account": objectField(func(a *model.AccountConflictSummary) *int64 { return &a.AccountID }, "Account", accountRows, models.Held[models.Account]),
	"LicenseSummaryRow.customer":     objectField(func(r *model.LicenseSummaryRow) *int64 { return r.CustomerID }, "Customer", customerRows, models.Held[models.Customer]),
	"LicenseSummaryRow.agreement":    objectField(func(r *model.LicenseSummaryRow) *int64 { return r.AgreementID }, "Agreement", agreementRows, models.Held[models.Agreement]),
	"LicenseSummaryRow.enrollment":   objectField(func(r *model.LicenseSummaryRow) *int64 { return r.EnrollmentID }, "Enrollment", enrollmentRows, models.Held[models.Enrollment]),
	"LicenseSummaryRow.account":      objectField(func(r *model.LicenseSummaryRow) *int64 { return r.AccountID }, "Account", accountRows, models.Held[models.Account]),

	"Agreement.contacts":      childRows(func(a *model.Agreement) int64 { return a.DBID }, func(l *Loaders) *dataloadgen.Loader[int64, []models.AgreementContact] { return l.ContactsByAgreement }, (*models.Store).ContactsByAgreement, func(r *models.AgreementContact) int64 { return r.AgreementID }),
	"Account.verifiedDomains": childRows(func(a *model.Account) int64 { return a.DBID }, func(l *Loaders) *dataloadgen.Loader[int64, []models.AccountDomain] { return l.DomainsByAccount }, (*models.Store).DomainsByAccount, func(r *models.AccountDomain) int64 { return r.AccountID }),
	"Account.administrators":  childRows(func(a *model.Account) int64 { return a.DBID }, func(l *Loaders) *dataloadgen.Loader[int64, []models.AccountAdmin] { return l.AdminsByAccount }, (*models.Store).AdminsByAccount, func(r *models.AccountAdmin) int64 { return r.AccountID }),
	"Order.lines":             childRows(func(o *model.Order) int64 { return o.DBID }, func(l *Loaders) *dataloadgen.Loader[int64, []models.OrderLine] { return l.LinesByOrder }, (*models.Store).LinesByOrder, func(r *models.OrderLine) int64 { return r.OrderID }),

	"Enrollment.subscriptions": nestedPages(func(e *model.Enrollment) int64 { return e.DBID }, "Subscription", mapSubscription,
		func(ctx context.Context, r *Resolver, c models.Caller, ids []int64, a pageArgsOf, p models.Page) (map[int64]*models.List[models.SubscriptionView], error) {
			return r.Store.SubscriptionsByEnrollments(ctx, c, ids, r.asOf(a.asOf), p)
		}),
	"Enrollment.activationEmails": nestedPages(func(e *model.Enrollment) int64 { return e.DBID }, "ActivationEmail", mapActivationEmail, byParents((*models.Store).ActivationEmailsByEnrollments)),
	"Agreement.enrollments":       nestedPages(func(a *model.Agreement) int64 { return a.DBID }, "Enrollment", mapEnrollment, byParents((*models.Store).EnrollmentsByAgreements)),
	"Account.enrollments":         nestedPages(func(a *model.Account) int64 { return a.DBID }, "Enrollment", mapEnrollment, byParents((*models.Store).EnrollmentsByAccounts)),
	"Account.users":               nestedPages(func(a *model.Account) int64 { return a.DBID }, "AccountUser", mapAccountUser, byParents((*models.Store).AccountUsersByAccounts)),
	"Customer.agreements":         nestedPages(func(cu *model.Customer) int64 { return cu.DBID }, "Agreement", mapAgreement, byParents((*models.Store).AgreementsByCustomers)),
	"Customer.accounts":           nestedPages(func(cu *model.Customer) int64 { return cu.DBID }, "Account", mapAccount, byParents((*models.Store).AccountsByCustomers)),
}

// prefetch walks sel, the selection of the objects objs of GraphQL type typ, and reads every
// field it knows for all of them, then the next level below what it read. The fields of one
// level are read at the same time (each on its own connection), so a page waits for as many
// round trips as its query is deep, not for one per field; one after the other when the
// process is busy (models.Store.SpreadReads).
func (r *Resolver) prefetch(ctx context.Context, typ string, objs []any, sel ast.SelectionSet) {
	c := CallerFrom(ctx)
	if c == nil || !graphql.HasOperationContext(ctx) {
		return
	}
	reads := r.reads(ctx, *c, typ, objs, sel)
	var wg sync.WaitGroup
	for i, read := range reads {
		if i == len(reads)-1 || !r.Store.SpreadReads() {
			read() // the last, or every one when the process is busy, on this goroutine
			continue
		}
		wg.Add(1)
		go func() {
			stack.Grow()
			defer wg.Done()
			// Outside gqlgen's recovery: a panic here would end the process. What the walk did
			// not read, the field's resolver reads itself, under gqlgen's recovery.
			defer func() { _ = recover() }()
			read()
		}()
	}
	wg.Wait()
}

// reads returns the reads of the fields the walk knows in sel, each with the walk below it.
// A field whose rows the request already holds (read by an earlier statement: the agreement and
// account a detail page's enrollment came with) is read here and now, without a goroutine, and
// what it needs below it joins the returned reads.
func (r *Resolver) reads(ctx context.Context, c models.Caller, typ string, objs []any, sel ast.SelectionSet) []func() {
	if len(objs) == 0 || len(sel) == 0 {
		return nil
	}
	var out []func()
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), sel, []string{typ}) {
		p, ok := prefetchers[typ+"."+f.Name]
		if !ok {
			continue
		}
		if p.held != nil && p.held(ctx, r, c, objs) {
			if next, nextType, nextSel, err := p.read(ctx, r, c, objs, f); err == nil {
				execution.MarkPrefetched(ctx, f.Field)
				out = append(out, r.reads(ctx, c, nextType, next, nextSel)...)
			}
			continue
		}
		out = append(out, func() {
			next, nextType, nextSel, err := p.read(ctx, r, c, objs, f)
			if err != nil {
				return // the field's resolver reads it itself and reports its error
			}
			// Its resolvers now find their values in memory: gqlgen need not give them a
			// goroutine each (package execution).
			execution.MarkPrefetched(ctx, f.Field)
			r.prefetch(ctx, nextType, next, nextSel)
		})
	}
	return out
}

// prefetchConnection prefetches below the items of a connection the current field returned.
func (r *Resolver) prefetchConnection(ctx context.Context, conn any) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return
	}
	connType := fc.Field.Definition.Type.Name()
	typ, sel := nodeSelection(ctx, connType, fc.Field.Selections)
	r.prefetch(ctx, typ, connectionNodes(conn), sel)
}

// prefetchObject prefetches below the object the current field returned (a single object's
// nested pages are then one statement each, their counts included, as for a list's items).
func (r *Resolver) prefetchObject(ctx context.Context, obj any) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return
	}
	r.prefetch(ctx, fc.Field.Definition.Type.Name(), []any{obj}, fc.Field.Selections)
}

// nodeSelection is what a connection's selection asks of its nodes (edges { node { ... } }),
// with the nodes' type.
func nodeSelection(ctx context.Context, connType string, sel ast.SelectionSet) (string, ast.SelectionSet) {
	base := strings.TrimSuffix(connType, "Connection")
	op := graphql.GetOperationContext(ctx)
	var out ast.SelectionSet
	for _, edges := range graphql.CollectFields(op, sel, []string{connType}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(op, edges.Selections, []string{base + "Edge"}) {
			if node.Name == "node" {
				out = append(out, node.Selections...)
			}
		}
	}
	return base, out
}

// connectionNodes returns the nodes of a generated connection (its Edges[i].Node).
func connectionNodes(conn any) []any {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	edges := v.Elem().FieldByName("Edges")
	if !edges.IsValid() {
		return nil
	}
	out := make([]any, 0, edges.Len())
	for i := 0; i < edges.Len(); i++ {
		if e := edges.Index(i); !e.IsNil() {
			out = append(out, e.Elem().FieldByName("Node").Interface())
		}
	}
	return out
}

// objectField prefetches an object field read by id: the ids of every parent in one statement,
// primed into the loader its resolver uses; held (nil: never) tells whether the request holds
// those rows already.
func objectField[P any](id func(*P) *int64, typ string, rows func(ctx context.Context, r *Resolver, c models.Caller, ids []int64, sel ast.SelectionSet) ([]any, error),
	held func(context.Context, *models.Store, models.Caller, []int64) bool) prefetchField {
	ids := func(parents []any) []int64 {
		seen := map[int64]bool{}
		var out []int64
		for _, p := range parents {
			if obj, ok := p.(*P); ok && obj != nil {
				if v := id(obj); v != nil && !seen[*v] {
					seen[*v] = true
					out = append(out, *v)
				}
			}
		}
		return out
	}
	f := prefetchField{read: func(ctx context.Context, r *Resolver, c models.Caller, parents []any, f graphql.CollectedField) ([]any, string, ast.SelectionSet, error) {
		ids := ids(parents)
		if len(ids) == 0 {
			return nil, "", nil, nil
		}
		next, err := rows(ctx, r, c, ids, f.Selections)
		return next, typ, f.Selections, err
	}}
	if held != nil {
		f.held = func(ctx context.Context, r *Resolver, c models.Caller, parents []any) bool {
			return held(ctx, r.Store, c, ids(parents))
		}
	}
	return f
}

// primed reads rows by ids, primes the loader and returns the rows mapped for the next level.
func primed[T any, M any](ctx context.Context, fetch func(context.Context, models.Caller, []int64) ([]T, error), c models.Caller, ids []int64,
	loader *dataloadgen.Loader[int64, *T], key func(*T) int64, to func(*T) M) ([]any, error) {
	rows, err := fetch(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i := range rows {
		loader.Prime(key(&rows[i]), &rows[i])
		out[i] = to(&rows[i])
	}
	return out, nil
}

// agreementRows reads agreements by id; with their customers in the same statement when the
// selection asks for them (the customers' level of the walk then finds them read: no statement).
func agreementRows(ctx context.Context, r *Resolver, c models.Caller, ids []int64, sel ast.SelectionSet) ([]any, error) {
	if !asks(ctx, sel, "Agreement", "customer") {
		return primed(ctx, r.Store.AgreementsByID, c, ids, loaders(ctx).Agreement, func(a *models.Agreement) int64 { return a.ID }, mapAgreement)
	}
	agreements, customers, err := r.Store.AgreementsWithCustomers(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	l := loaders(ctx)
	for i := range customers {
		l.Customer.Prime(customers[i].ID, &customers[i])
	}
	out := make([]any, len(agreements))
	for i := range agreements {
		l.Agreement.Prime(agreements[i].ID, &agreements[i])
		out[i] = mapAgreement(&agreements[i])
	}
	return out, nil
}

// asks tells whether sel, the selection of an object of GraphQL type typ, selects field.
func asks(ctx context.Context, sel ast.SelectionSet, typ, field string) bool {
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), sel, []string{typ}) {
		if f.Name == field {
			return true
		}
	}
	return false
}

func accountRows(ctx context.Context, r *Resolver, c models.Caller, ids []int64, _ ast.SelectionSet) ([]any, error) {
	return primed(ctx, r.Store.AccountsByID, c, ids, loaders(ctx).Account, func(a *models.Account) int64 { return a.ID }, mapAccount)
}

func enrollmentRows(ctx context.Context, r *Resolver, c models.Caller, ids []int64, _ ast.SelectionSet) ([]any, error) {
	return primed(ctx, r.Store.EnrollmentsByID, c, ids, loaders(ctx).Enrollment, func(e *models.Enrollment) int64 { return e.ID }, mapEnrollment)
}

func customerRows(ctx context.Context, r *Resolver, c models.Caller, ids []int64, _ ast.SelectionSet) ([]any, error) {
	return primed(ctx, r.Store.CustomersByID, c, ids, loaders(ctx).Customer, func(cu *models.Customer) int64 { return cu.ID }, mapCustomer)
}

func resellerRows(ctx context.Context, r *Resolver, c models.Caller, ids []int64, _ ast.SelectionSet) ([]any, error) {
	return primed(ctx, r.Store.ResellersByID, c, ids, loaders(ctx).Reseller, func(re *models.Reseller) int64 { return re.ID }, mapReseller)
}

// childRows prefetches a plain list of child rows (not a page) for every parent, primed into the
// loader its resolver uses. Its children have no fields to prefetch below.
func childRows[P, T any](id func(*P) int64, loader func(*Loaders) *dataloadgen.Loader[int64, []T],
	fetch func(*models.Store, context.Context, models.Caller, []int64) ([]T, error), parent func(*T) int64) prefetchField {
	return prefetchField{read: func(ctx context.Context, r *Resolver, c models.Caller, parents []any, f graphql.CollectedField) ([]any, string, ast.SelectionSet, error) {
		var ids []int64
		for _, p := range parents {
			if obj, ok := p.(*P); ok && obj != nil {
				ids = append(ids, id(obj))
			}
		}
		rows, err := fetch(r.Store, ctx, c, ids)
		if err != nil {
			return nil, "", nil, err
		}
		groups := make(map[int64][]T, len(ids))
		for i := range rows {
			groups[parent(&rows[i])] = append(groups[parent(&rows[i])], rows[i])
		}
		l := loader(loaders(ctx))
		for _, id := range ids {
			l.Prime(id, groups[id])
		}
		return nil, "", nil, nil
	}}
}

// pageArgsOf are a nested connection's arguments, as its resolver receives them.
type pageArgsOf struct {
	first *int
	after *string
	asOf  *time.Time
}

// key identifies a nested page in the request's page cache: the same field with the same
// arguments under the same parent.
func (a pageArgsOf) key(typ, field string, parent int64) string {
	first, after, asOf := 0, "", ""
	if a.first != nil {
		first = *a.first
	}
	if a.after != nil {
		after = *a.after
	}
	if a.asOf != nil {
		asOf = a.asOf.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%s.%s/%d/%s/%s/%d", typ, field, first, after, asOf, parent)
}

// argsOf reads a collected field's page arguments (the schema's defaults included).
func argsOf(ctx context.Context, f graphql.CollectedField) (pageArgsOf, error) {
	var a pageArgsOf
	args := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	if v, ok := args["first"]; ok && v != nil {
		n := int(toInt64(v))
		a.first = &n
	}
	if v, ok := args["after"].(string); ok {
		a.after = &v
	}
	if v, ok := args["asOf"]; ok && v != nil {
		t, err := scalars.UnmarshalDateTime(v)
		if err != nil {
			return a, err
		}
		a.asOf = &t
	}
	return a, nil
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return i
	}
	return 0
}

// byParents is the fetch of nestedPages for a store method that takes no argument of the field
// but its page.
func byParents[T any](read func(*models.Store, context.Context, models.Caller, []int64, models.Page) (map[int64]*models.List[T], error)) func(context.Context, *Resolver, models.Caller, []int64, pageArgsOf, models.Page) (map[int64]*models.List[T], error) {
	return func(ctx context.Context, r *Resolver, c models.Caller, ids []int64, _ pageArgsOf, p models.Page) (map[int64]*models.List[T], error) {
		return read(r.Store, ctx, c, ids, p)
	}
}

// nestedPages prefetches a connection of every parent (one page each, in one statement) into the
// page cache, and returns every item as the next level.
func nestedPages[P, T, M any](id func(*P) int64, itemType string, to func(*T) M,
	fetch func(ctx context.Context, r *Resolver, c models.Caller, ids []int64, a pageArgsOf, p models.Page) (map[int64]*models.List[T], error)) prefetchField {
	return prefetchField{read: func(ctx context.Context, r *Resolver, c models.Caller, parents []any, f graphql.CollectedField) ([]any, string, ast.SelectionSet, error) {
		a, err := argsOf(ctx, f)
		if err != nil {
			return nil, "", nil, err
		}
		if other := otherArguments(ctx, f); other {
			return nil, "", nil, errNotPrefetched // a filter the cache key does not carry: the resolver reads it
		}
		p, err := page(a.first, a.after)
		if err != nil {
			return nil, "", nil, err
		}
		var ids []int64
		for _, parent := range parents {
			if obj, ok := parent.(*P); ok && obj != nil {
				ids = append(ids, id(obj))
			}
		}
		pages, err := fetch(ctx, r, c, ids, a, p)
		if err != nil {
			return nil, "", nil, err
		}
		typ := f.ObjectDefinition.Name
		cache := loaders(ctx)
		var next []any
		for parent, l := range pages {
			cache.pages.Store(a.key(typ, f.Name, parent), l)
			for i := range l.Items {
				next = append(next, to(&l.Items[i]))
			}
		}
		_, sel := nodeSelection(ctx, f.Definition.Type.Name(), f.Selections)
		return next, itemType, sel, nil
	}}
}

var errNotPrefetched = fmt.Errorf("not prefetched")

// otherArguments tells whether a nested connection was asked with arguments besides its page
// (first, after) and instant (asOf), which pageArgsOf.key does not carry.
func otherArguments(ctx context.Context, f graphql.CollectedField) bool {
	for name, v := range f.ArgumentMap(graphql.GetOperationContext(ctx).Variables) {
		if name != "first" && name != "after" && name != "asOf" && v != nil {
			return true
		}
	}
	return false
}

// cachedPage returns the page the walk read for this field under this parent, if it did.
func cachedPage[T any](ctx context.Context, typ, field string, parent int64, a pageArgsOf) (*models.List[T], bool) {
	l := loaders(ctx)
	if l == nil {
		return nil, false
	}
	v, ok := l.pages.Load(a.key(typ, field, parent))
	if !ok {
		return nil, false
	}
	page, ok := v.(*models.List[T])
	return page, ok
}
