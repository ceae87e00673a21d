package resolvers

import (
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
)

// Mapping from store rows to the API's view. Only here do models/ structs meet graph/model.

func mapReseller(r *models.Reseller) *model.Reseller {
	if r == nil {
		return nil
	}
	return &model.Reseller{ID: globalID("Reseller", r.ID), DBID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}
}

var resellerConnection = pager[model.ResellerConnection, model.ResellerEdge](func(r *models.Reseller) int64 { return r.ID }, mapReseller)

func mapAPIKey(k *models.APIKey) *model.APIKey {
	if k == nil {
		return nil
	}
	return &model.APIKey{ID: globalID("ApiKey", k.ID), Name: k.Name, Role: model.Role(k.Role), ResellerID: k.ResellerID, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt, KeyLimits: k.Limits}
}

var apiKeyConnection = pager[model.APIKeyConnection, model.APIKeyEdge](func(r *models.APIKey) int64 { return r.ID }, mapAPIKey)

func mapCustomer(c *models.Customer) *model.Customer {
	if c == nil {
		return nil
	}
	return &model.Customer{ID: globalID("Customer", c.ID), DBID: c.ID, ResellerID: c.ResellerID, OrganizationName: c.OrganizationName, Country: c.Country,
		Language: string(c.Language), CreatedAt: c.CreatedAt}
}

var customerConnection = pager[model.CustomerConnection, model.CustomerEdge](func(r *models.Customer) int64 { return r.ID }, mapCustomer)

func mapAgreement(a *models.Agreement) *model.Agreement {
	if a == nil {
		return nil
	}
	return &model.Agreement{ID: globalID("Agreement", a.ID), DBID: a.ID, CustomerID: a.CustomerID, Program: model.Program(a.Program), Number: a.Number,
		StartDate: a.StartDate, AnniversaryDate: a.AnniversaryDate, CreatedAt: a.CreatedAt}
}

var agreementConnection = pager[model.AgreementConnection, model.AgreementEdge](func(r *models.Agreement) int64 { return r.ID }, mapAgreement)

func mapEnrollment(e *models.Enrollment) *model.Enrollment {
	if e == nil {
		return nil
	}
	out := &model.Enrollment{ID: globalID("Enrollment", e.ID), DBID: e.ID, AgreementID: e.AgreementID, AccountID: e.AccountID, Number: e.Number,
		OrganizationName: e.OrganizationName, StartDate: e.StartDate, EndDate: e.EndDate, Status: model.EnrollmentStatus(e.Status), CreatedAt: e.CreatedAt,
		RenewedFromID: e.RenewedFromID, AssociatedAt: e.AssociatedAt}
	if e.AccountID != nil && e.AssociationCause != "" {
		cause := model.AssociationCause(e.AssociationCause)
		out.AssociationCause = &cause
	} else if e.AccountID != nil {
		cause := model.AssociationCauseLink
		out.AssociationCause = &cause
	}
	if !e.OriginalPurchaseDate.IsZero() {
		d := e.OriginalPurchaseDate
		out.OriginalPurchaseDate = &d
	}
	out.ActivationLinkExpiresAt = e.ActivationLinkExpiresAt()
	if e.OSMEmail != "" {
		out.Osm = &model.OnlineServicesManager{Name: e.OSMName, Email: e.OSMEmail}
	}
	return out
}

var enrollmentConnection = pager[model.EnrollmentConnection, model.EnrollmentEdge](func(r *models.Enrollment) int64 { return r.ID }, mapEnrollment)

func mapAccount(a *models.Account) *model.Account {
	if a == nil {
		return nil
	}
	return &model.Account{ID: globalID("Account", a.ID), DBID: a.ID, CustomerID: a.CustomerID, Name: a.Name, Country: a.Country, CreatedAt: a.CreatedAt}
}

var accountConnection = pager[model.AccountConnection, model.AccountEdge](func(r *models.Account) int64 { return r.ID }, mapAccount)

func mapAccountUser(u *models.AccountUser) *model.AccountUser {
	if u == nil {
		return nil
	}
	return &model.AccountUser{ID: globalID("AccountUser", u.ID), DBID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt}
}

var accountUserConnection = pager[model.AccountUserConnection, model.AccountUserEdge](func(r *models.AccountUser) int64 { return r.ID }, mapAccountUser)

var userLicenseConnection = pager[model.UserLicenseConnection, model.UserLicenseEdge](func(r *models.LicenseAssignment) int64 { return r.ID },
	func(a *models.LicenseAssignment) *model.UserLicense {
		return &model.UserLicense{SKUCode: a.SKU, AssignedAt: a.AssignedAt}
	})

// The connection mapper: gqlgen generates an edge and a connection type per node type, all of
// the same shape, so one generic mapper converts to each instead of a mapper per type.

type edgeShape[N any] = struct {
	Node   *N     `json:"node"`
	Cursor string `json:"cursor"`
}

type connectionShape[E any] = struct {
	Edges      []*E            `json:"edges"`
	PageInfo   *model.PageInfo `json:"pageInfo"`
	TotalCount int             `json:"totalCount"`
}

// edgeOf is any generated edge type whose node is N.
type edgeOf[N any] interface{ ~edgeShape[N] }

// connectionOf is any generated connection type (with a total count) whose edges are E.
type connectionOf[E any] interface{ ~connectionShape[E] }

// edges maps rows to edges of type E, each with its cursor, and the page info they make.
func edges[E edgeOf[N], T, N any](rows []T, node func(*T) *N, cursorOf func(i int, row *T) string, hasNext bool) ([]*E, *model.PageInfo) {
	out := make([]*E, len(rows))
	pi := &model.PageInfo{HasNextPage: hasNext}
	for i := range rows {
		c := cursorOf(i, &rows[i])
		e := E(edgeShape[N]{Node: node(&rows[i]), Cursor: c})
		out[i] = &e
		if i == 0 {
			pi.StartCursor = &c
		}
		pi.EndCursor = &c
	}
	return out, pi
}

// toConnection makes a connection of type C from its edges.
func toConnection[C connectionOf[E], E any](edges []*E, pi *model.PageInfo, total int) *C {
	c := C(connectionShape[E]{Edges: edges, PageInfo: pi, TotalCount: total})
	return &c
}

// pager is the mapper of a store's page of rows ordered by key (the cursor) to the connection C of
// edges E, e.g. pager[model.OrderConnection, model.OrderEdge](func(o *models.Order) int64 { return o.ID }, mapOrder).
func pager[C connectionOf[E], E edgeOf[N], T, N any](key func(*T) int64, node func(*T) *N) func(*models.List[T]) *C {
	return func(l *models.List[T]) *C {
		e, pi := edges[E](l.Items, node, func(_ int, r *T) string { return cursor(key(r)) }, l.HasNext)
		return toConnection[C](e, pi, int(l.Total))
	}
}

func mapSKU(k *models.SKU) *model.Sku {
	if k == nil {
		return nil
	}
	return &model.Sku{Code: k.Code, Name: k.Name, Family: model.Family(k.Family), Kind: model.SkuKind(k.Kind), Unit: model.Unit(k.Unit),
		BaseSkus: nonNil(k.BaseList()), Countries: nonNil(k.CountryList()), IncompatibleSkus: nonNil(k.IncompatibleList())}
}

// mappedSKUs holds the GraphQL form of catalog entries (*models.SKU → *model.Sku), made once
// per entry and shared by every object that names the SKU: read only. A subscription's sku is
// then a plain field, which gqlgen resolves in line instead of in a goroutine per object (a list
// page has a thousand of them).
var mappedSKUs sync.Map

// catalogSKU is k's GraphQL form, shared (mappedSKUs); nil for nil.
func catalogSKU(k *models.SKU) *model.Sku {
	if k == nil {
		return nil
	}
	if v, ok := mappedSKUs.Load(k); ok {
		return v.(*model.Sku)
	}
	v, _ := mappedSKUs.LoadOrStore(k, mapSKU(k))
	return v.(*model.Sku)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func mapOrder(o *models.Order) *model.Order {
	if o == nil {
		return nil
	}
	out := &model.Order{ID: globalID("Order", o.ID), DBID: o.ID, EnrollmentID: o.EnrollmentID, MovesFromSubscriptionID: o.MovesFromSubscriptionID,
		Number: o.Number, Status: model.OrderStatus(o.Status), PurchaseDate: o.PurchaseDate, UsageStartDate: o.UsageStartDate,
		IdempotencyKey: o.IdempotencyKey, CreatedAt: o.CreatedAt, ProcessedAt: o.ProcessedAt, CancelledAt: o.CancelledAt, AvailableAt: o.AvailableAt()}
	return out
}

var orderConnection = pager[model.OrderConnection, model.OrderEdge](func(r *models.Order) int64 { return r.ID }, mapOrder)

func mapReservation(r *models.Reservation) *model.Reservation {
	if r == nil {
		return nil
	}
	return &model.Reservation{ID: globalID("Reservation", r.ID), DBID: r.ID, EnrollmentID: r.EnrollmentID, SKUCode: r.SKU, Quantity: r.Quantity,
		Status: model.ReservationStatus(r.Status), ContactEmail: r.ContactEmail, ReservedAt: r.ReservedAt, ProcessedAt: r.ProcessedAt,
		BillingDate: r.BillingDate, OverdueAt: r.OverdueAt(), IdempotencyKey: r.IdempotencyKey}
}

var reservationConnection = pager[model.ReservationConnection, model.ReservationEdge](func(r *models.Reservation) int64 { return r.ID }, mapReservation)

func mapSubscription(v *models.SubscriptionView) *model.Subscription {
	if v == nil {
		return nil
	}
	return &model.Subscription{ID: globalID("Subscription", v.ID), DBID: v.ID, EnrollmentID: v.EnrollmentID, DirectAccountID: v.DirectAccountID,
		SKUCode: v.SKU, Sku: catalogSKU(v.Catalog), Program: model.Program(v.Program), AsOf: v.AsOf, Status: model.SubscriptionStatus(v.Status), Quantity: v.QuantityAsOf,
		PendingQuantity: v.PendingQuantity, LicensedQuantity: v.LicensedQuantity, EndDate: v.EndDate, AutoRenew: v.AutoRenew,
		CancelledAt: v.CancelledAt, GraceUntil: v.GraceUntil}
}

var subscriptionConnection = pager[model.SubscriptionConnection, model.SubscriptionEdge](func(r *models.SubscriptionView) int64 { return r.ID }, mapSubscription)

func mapActivationEmail(m *models.ActivationEmail) *model.ActivationEmail {
	if m == nil {
		return nil
	}
	out := &model.ActivationEmail{Recipient: m.Recipient, Subject: m.Subject, Trigger: model.EmailTrigger(m.EmailTrigger),
		ScheduledAt: m.ScheduledAt, DueBy: m.DueBy, SentAt: m.SentAt, BouncedAt: m.BouncedAt}
	if m.LastError != "" {
		out.LastError = &m.LastError
	}
	return out
}

var activationEmailConnection = pager[model.ActivationEmailConnection, model.ActivationEmailEdge](func(r *models.ActivationEmail) int64 { return r.ID }, mapActivationEmail)

func mapProductKey(k *models.ProductKey) *model.ProductKey {
	if k == nil {
		return nil
	}
	return &model.ProductKey{Secret: k.ProductKey, SKUCode: k.SKU, Quantity: k.Quantity, RedeemedAt: k.RedeemedAt, RedeemedAccountID: k.RedeemedAccountID}
}

func mapActivationStatus(e *models.Enrollment, asOf time.Time, st licensing.ActivationStatus) *model.ActivationStatus {
	out := &model.ActivationStatus{Enrollment: mapEnrollment(e), AsOf: asOf, State: model.ActivationState(st.State), Reasons: []*model.ActivationReason{},
		RequiredAccountID: st.RequiredAccountID}
	for _, r := range st.Reasons {
		out.Reasons = append(out.Reasons, &model.ActivationReason{Code: model.ActivationReasonCode(r.Code), Message: r.Message, Action: model.NextAction(r.Action),
			ChangesAt: r.ChangesAt, AccountID: r.AccountID})
	}
	return out
}
