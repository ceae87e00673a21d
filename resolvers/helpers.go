package resolvers

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// respond builds the payload of a mutation whose input type is in: userErrors for a refusal
// (nothing was written), a GraphQL error for anything else, the built payload on success.
func respond[P any](in inputFields, err error, build func(ue []*model.UserError) P) (P, error) {
	ue, err := payloadErrors(in, err)
	if err != nil {
		var zero P
		return zero, err
	}
	if ue == nil {
		ue = []*model.UserError{}
	}
	return build(ue), nil
}

// readPage authenticates a list query and reads its page arguments.
func readPage(ctx context.Context, first *int, after *string) (models.Caller, models.Page, error) {
	c, err := reader(ctx)
	if err != nil {
		return c, models.Page{}, err
	}
	p, err := page(first, after)
	p.WithoutTotal = !selected(ctx, "totalCount") // a count is a statement: only when asked for
	return c, p, err
}

// selected tells whether the current field's selection asks for a field of that name.
func selected(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || !graphql.HasOperationContext(ctx) {
		return true // not under gqlgen (a direct call): count, to be safe
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, []string{fc.Field.Definition.Type.Name()}) {
		if f.Name == name {
			return true
		}
	}
	return false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(n *int) int {
	if n == nil {
		return 0
	}
	return *n
}

func agreementDraft(in model.CreateAgreementInput) licensing.AgreementDraft {
	d := licensing.AgreementDraft{Program: in.Program, Number: in.Number, StartDate: in.StartDate, AnniversaryDate: in.AnniversaryDate}
	for _, c := range in.Contacts {
		cd := licensing.ContactDraft{Name: c.Name, Email: c.Email}
		for _, r := range c.Roles {
			cd.Roles = append(cd.Roles, licensing.ContactRole(r))
		}
		d.Contacts = append(d.Contacts, cd)
	}
	return d
}

func accountDraft(in model.CreateAccountInput) licensing.AccountDraft {
	d := licensing.AccountDraft{Name: in.Name, Country: in.Country, Domains: in.VerifiedDomains, Users: userDrafts(in.Users)}
	for _, a := range in.Administrators {
		d.Admins = append(d.Admins, licensing.AdminDraft{Name: a.Name, Email: a.Email, Role: licensing.AdminRole(a.Role)})
	}
	return d
}

func userDrafts(in []*model.AccountUserInput) []licensing.UserDraft {
	out := make([]licensing.UserDraft, len(in))
	for i, u := range in {
		out[i] = licensing.UserDraft{UserName: u.UserName, DisplayName: deref(u.DisplayName)}
	}
	return out
}

// mapNode maps any object the store's Node lookup returns.
func mapNode(v any) model.Node {
	switch o := v.(type) {
	case *models.Reseller:
		return mapReseller(o)
	case *models.Customer:
		return mapCustomer(o)
	case *models.Agreement:
		return mapAgreement(o)
	case *models.Enrollment:
		return mapEnrollment(o)
	case *models.Account:
		return mapAccount(o)
	case *models.AccountUser:
		return mapAccountUser(o)
	case *models.APIKey:
		return mapAPIKey(o)
	case *models.Order:
		return mapOrder(o)
	case *models.Reservation:
		return mapReservation(o)
	case *models.SubscriptionView:
		return mapSubscription(o)
	}
	return nil
}

// skuPage reads first/after for the catalog, whose cursor is the SKU code.
func skuPage(first *int, after *string) (models.SKUPage, error) {
	n, code, err := pageArgs(first, after, 100, "s:")
	return models.SKUPage{First: n, After: code}, err
}

// skuConnection pages the catalog by SKU code, the cursor.
func skuConnection(l *models.List[models.SKU]) *model.SkuConnection {
	e, pi := edges[model.SkuEdge](l.Items, mapSKU, func(_ int, k *models.SKU) string {
		return encodeCursor("s:", k.Code)
	}, l.HasNext)
	return toConnection[model.SkuConnection](e, pi, int(l.Total))
}

// asOf is the instant a time-dependent field is evaluated at: the caller's, or now.
func (r *Resolver) asOf(at *time.Time) time.Time {
	if at != nil {
		return at.UTC()
	}
	return r.now()
}

func osmEmail(e *model.Enrollment) string {
	if e.Osm == nil {
		return ""
	}
	return e.Osm.Email
}

func orderDraft(in model.CreateOrderInput) (licensing.OrderDraft, error) {
	d := licensing.OrderDraft{EnrollmentNumber: in.EnrollmentNumber, PurchaseDate: in.PurchaseDate, UsageStartDate: in.UsageStartDate, IdempotencyKey: in.IdempotencyKey}
	for _, l := range in.Lines {
		d.Lines = append(d.Lines, licensing.OrderLineDraft{SKU: l.Sku, Quantity: l.Quantity})
	}
	if in.MovesFromSubscriptionID != nil {
		id, err := inputID(*in.MovesFromSubscriptionID, "Subscription", "directSubscription")
		if err != nil {
			return d, err
		}
		d.MovesFromDirect, d.MovesFromSubscription = true, id
	}
	return d, nil
}

// idRef is how a mutation's input names the object it acts on: a global ID, the type it must be
// of, and the input field a refusal points to.
type idRef struct{ gid, typ, field string }

// actOn answers a mutation on one object named by a global ID: the caller's key in the role the
// mutation needs (writer or operator), the ID read (a refusal when it names nothing of its type),
// act on it, and the payload built from what act returned, or with the refusal.
func actOn[T, P any](ctx context.Context, role func(context.Context) (models.Caller, error), in inputFields, ref idRef,
	act func(models.Caller, int64) (T, error), build func(T, []*model.UserError) P) (P, error) {
	return mutate(ctx, role, in, func() (int64, error) { return inputID(ref.gid, ref.typ, ref.field) }, act, build)
}

// forReseller is actOn for what an operator makes for the reseller its input names, or a
// reseller's key for its own reseller (no reseller named: nil).
func forReseller[T, P any](ctx context.Context, role func(context.Context) (models.Caller, error), in inputFields, resellerGID *string,
	act func(models.Caller, *int64) (T, error), build func(T, []*model.UserError) P) (P, error) {
	return mutate(ctx, role, in, func() (*int64, error) { return optionalInputID(resellerGID, "Reseller", "reseller") }, act, build)
}

// mutate is actOn with the ID read by readID.
func mutate[I, T, P any](ctx context.Context, role func(context.Context) (models.Caller, error), in inputFields, readID func() (I, error),
	act func(models.Caller, I) (T, error), build func(T, []*model.UserError) P) (P, error) {
	c, err := role(ctx)
	if err != nil {
		var zero P
		return zero, err
	}
	var v T
	id, err := readID()
	if err == nil {
		v, err = act(c, id)
	}
	return respond(in, err, func(ue []*model.UserError) P { return build(v, ue) })
}

// orderAction runs processOrder or cancelOrder, with the caller in the role each needs.
func (r *Resolver) orderAction(ctx context.Context, role func(context.Context) (models.Caller, error), input model.OrderActionInput,
	act func(context.Context, models.Caller, int64, time.Time) (*models.Order, error)) (*model.OrderPayload, error) {
	return actOn(ctx, role, orderActionInput, idRef{input.OrderID, "Order", "order"}, func(c models.Caller, id int64) (*models.Order, error) {
		return act(ctx, c, id, r.now())
	}, func(o *models.Order, ue []*model.UserError) *model.OrderPayload {
		return &model.OrderPayload{Order: mapOrder(o), UserErrors: ue}
	})
}

func (r *Resolver) reservationPermission(ctx context.Context, input model.ReservationPermissionInput, grant bool) (*model.ReservationPermissionPayload, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	e, err := r.Store.SetReservationPermission(ctx, c, input.EnrollmentNumber, input.ActingContactEmail, grant, r.now())
	in := reservationPermissionInput
	return respond(in, err, func(ue []*model.UserError) *model.ReservationPermissionPayload {
		if len(ue) > 0 {
			return &model.ReservationPermissionPayload{UserErrors: ue}
		}
		return &model.ReservationPermissionPayload{Enrollment: mapEnrollment(e), UserErrors: ue}
	})
}

// subscriptionAction runs a change that makes or changes one subscription, acting on the object
// ref names (the subscription, or the account of a new one), and answers the subscription as of now.
func (r *Resolver) subscriptionAction(ctx context.Context, in inputFields, ref idRef, act func(models.Caller, int64) (*models.Subscription, error)) (*model.SubscriptionPayload, error) {
	return actOn(ctx, writer, in, ref, func(c models.Caller, id int64) (*models.SubscriptionView, error) {
		sub, err := act(c, id)
		if err != nil {
			return nil, err
		}
		return r.Store.SubscriptionAsOf(ctx, c, sub.ID, r.now())
	}, func(v *models.SubscriptionView, ue []*model.UserError) *model.SubscriptionPayload {
		return &model.SubscriptionPayload{Subscription: mapSubscription(v), UserErrors: ue}
	})
}

func enrollmentPayload(in inputFields, e *models.Enrollment, err error) (*model.EnrollmentPayload, error) {
	return respond(in, err, func(ue []*model.UserError) *model.EnrollmentPayload { return enrollmentPayloadOf(e, ue) })
}

func enrollmentPayloadOf(e *models.Enrollment, ue []*model.UserError) *model.EnrollmentPayload {
	if len(ue) > 0 {
		return &model.EnrollmentPayload{UserErrors: ue}
	}
	return &model.EnrollmentPayload{Enrollment: mapEnrollment(e), UserErrors: ue}
}

// listed answers a list field: a reader's key and valid page arguments, then the page of the
// store's list of what matches by (a filter, the parent's id or an instant), mapped to its
// connection.
func listed[B, T, C any](ctx context.Context, r *Resolver, first *int, after *string, by B,
	list func(context.Context, models.Caller, B, models.Page) (*models.List[T], error), to func(*models.List[T]) C) (C, error) {
	c, p, err := readPage(ctx, first, after)
	if err != nil {
		var zero C
		return zero, err
	}
	conn, err := connected(to)(list(ctx, c, by, p))
	if err == nil {
		r.prefetchConnection(ctx, conn) // what the query asks below the page, read for the whole page
	}
	return conn, err
}

// fromCache answers a nested connection from the page the prefetch walk read for it, if it did.
func fromCache[T, C any](ctx context.Context, typ, field string, parent int64, a pageArgsOf, to func(*models.List[T]) C) (C, bool) {
	l, ok := cachedPage[T](ctx, typ, field, parent, a)
	if !ok {
		var zero C
		return zero, false
	}
	return to(l), true
}

// unfiltered fits a list without a filter to listed, whose by is then struct{}{}.
func unfiltered[T any](list func(context.Context, models.Caller, models.Page) (*models.List[T], error)) func(context.Context, models.Caller, struct{}, models.Page) (*models.List[T], error) {
	return func(ctx context.Context, c models.Caller, _ struct{}, p models.Page) (*models.List[T], error) {
		return list(ctx, c, p)
	}
}

// subscriptionsAsOf fits the store's subscription list at the instant asked for to listed.
func (r *Resolver) subscriptionsAsOf(asOf *time.Time) func(context.Context, models.Caller, models.SubscriptionFilter, models.Page) (*models.List[models.SubscriptionView], error) {
	return func(ctx context.Context, c models.Caller, f models.SubscriptionFilter, p models.Page) (*models.List[models.SubscriptionView], error) {
		return r.Store.Subscriptions(ctx, c, f, r.asOf(asOf), p)
	}
}

// connected maps a page the store returns to its connection, or passes the store's error on:
// connected(skuConnection)(r.Store.SKUs(ctx, f, p)).
func connected[T, C any](to func(*models.List[T]) C) func(*models.List[T], error) (C, error) {
	return func(l *models.List[T], err error) (C, error) {
		if err != nil {
			var zero C
			return zero, err
		}
		return to(l), nil
	}
}

// byNumber answers a lookup by number: a reader's key, the object or null when the caller has
// no such object, mapped to the API's view.
func byNumber[T, M any](ctx context.Context, r *Resolver, number string, find func(context.Context, models.Caller, string) (*T, error), to func(*T) M) (M, error) {
	c, err := reader(ctx)
	if err != nil {
		var zero M
		return zero, err
	}
	v, err := nullIfNotFound(find(ctx, c, number))
	m := to(v)
	if v != nil && err == nil {
		r.prefetchObject(ctx, m) // what the query asks below it, as for a list's items
	}
	return m, err
}
