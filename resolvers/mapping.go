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

func mapAPIKey(k *models.APIKey) *model.APIKey {
	if k == nil {
		return nil
	}
	return &model.APIKey{ID: globalID("ApiKey", k.ID), Name: k.Name, Role: model.Role(k.Role), ResellerID: k.ResellerID, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt, KeyLimits: k.Limits}
}

func mapCustomer(c *models.Customer) *model.Customer {
	if c == nil {
		return nil
	}
	return &model.Customer{ID: globalID("Customer", c.ID), DBID: c.ID, ResellerID: c.ResellerID, OrganizationName: c.OrganizationName, Country: c.Country,
		Language: string(c.Language), CreatedAt: c.CreatedAt}
}

func mapAgreement(a *models.Agreement) *model.Agreement {
	if a == nil {
		return nil
	}
	return &model.Agreement{ID: globalID("Agreement", a.ID), DBID: a.ID, CustomerID: a.CustomerID, Program: model.Program(a.Program), Number: a.Number,
		StartDate: a.StartDate, AnniversaryDate: a.AnniversaryDate, CreatedAt: a.CreatedAt}
}

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

func mapAccount(a *models.Account) *model.Account {
	if a == nil {
		return nil
	}
	return &model.Account{ID: globalID("Account", a.ID), DBID: a.ID, CustomerID: a.CustomerID, Name: a.Name, Country: a.Country, CreatedAt: a.CreatedAt}
}

func mapAccountUser(u *models.AccountUser) *model.AccountUser {
	if u == nil {
		return nil
	}
	return &model.AccountUser{ID: globalID("AccountUser", u.ID), DBID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, CreatedAt: u.CreatedAt}
}

func userLicenseConnection(l *models.List[models.LicenseAssignment]) *model.UserLicenseConnection {
	e, pi, n := connection(l, func(r *models.LicenseAssignment) int64 { return r.ID },
		func(a *models.LicenseAssignment) *model.UserLicense {
			return &model.UserLicense{SKUCode: a.SKU, AssignedAt: a.AssignedAt}
		},
		func(n *model.UserLicense, c string) *model.UserLicenseEdge {
			return &model.UserLicenseEdge{Node: n, Cursor: c}
		})
	return &model.UserLicenseConnection{Edges: e, PageInfo: pi, TotalCount: n}
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

// connection maps one page of rows to a connection's parts.
func connection[T any, N any, E any](l *models.List[T], id func(*T) int64, node func(*T) N, edge func(N, string) E) ([]E, *model.PageInfo, int) {
	edges := make([]E, len(l.Items))
	ids := make([]int64, len(l.Items))
	for i := range l.Items {
		ids[i] = id(&l.Items[i])
		edges[i] = edge(node(&l.Items[i]), cursor(ids[i]))
	}
	return edges, pageInfo(ids, l.HasNext), int(l.Total)
}

func customerConnection(l *models.List[models.Customer]) *model.CustomerConnection {
	e, pi, n := connection(l, func(r *models.Customer) int64 { return r.ID }, mapCustomer,
		func(n *model.Customer, c string) *model.CustomerEdge { return &model.CustomerEdge{Node: n, Cursor: c} })
	return &model.CustomerConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func agreementConnection(l *models.List[models.Agreement]) *model.AgreementConnection {
	e, pi, n := connection(l, func(r *models.Agreement) int64 { return r.ID }, mapAgreement,
		func(n *model.Agreement, c string) *model.AgreementEdge {
			return &model.AgreementEdge{Node: n, Cursor: c}
		})
	return &model.AgreementConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func enrollmentConnection(l *models.List[models.Enrollment]) *model.EnrollmentConnection {
	e, pi, n := connection(l, func(r *models.Enrollment) int64 { return r.ID }, mapEnrollment,
		func(n *model.Enrollment, c string) *model.EnrollmentEdge {
			return &model.EnrollmentEdge{Node: n, Cursor: c}
		})
	return &model.EnrollmentConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func accountConnection(l *models.List[models.Account]) *model.AccountConnection {
	e, pi, n := connection(l, func(r *models.Account) int64 { return r.ID }, mapAccount,
		func(n *model.Account, c string) *model.AccountEdge { return &model.AccountEdge{Node: n, Cursor: c} })
	return &model.AccountConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func accountUserConnection(l *models.List[models.AccountUser]) *model.AccountUserConnection {
	e, pi, n := connection(l, func(r *models.AccountUser) int64 { return r.ID }, mapAccountUser,
		func(n *model.AccountUser, c string) *model.AccountUserEdge {
			return &model.AccountUserEdge{Node: n, Cursor: c}
		})
	return &model.AccountUserConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func resellerConnection(l *models.List[models.Reseller]) *model.ResellerConnection {
	e, pi, n := connection(l, func(r *models.Reseller) int64 { return r.ID }, mapReseller,
		func(n *model.Reseller, c string) *model.ResellerEdge { return &model.ResellerEdge{Node: n, Cursor: c} })
	return &model.ResellerConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func apiKeyConnection(l *models.List[models.APIKey]) *model.APIKeyConnection {
	e, pi, n := connection(l, func(r *models.APIKey) int64 { return r.ID }, mapAPIKey,
		func(n *model.APIKey, c string) *model.APIKeyEdge { return &model.APIKeyEdge{Node: n, Cursor: c} })
	return &model.APIKeyConnection{Edges: e, PageInfo: pi, TotalCount: n}
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

func mapReservation(r *models.Reservation) *model.Reservation {
	if r == nil {
		return nil
	}
	return &model.Reservation{ID: globalID("Reservation", r.ID), DBID: r.ID, EnrollmentID: r.EnrollmentID, SKUCode: r.SKU, Quantity: r.Quantity,
		Status: model.ReservationStatus(r.Status), ContactEmail: r.ContactEmail, ReservedAt: r.ReservedAt, ProcessedAt: r.ProcessedAt,
		BillingDate: r.BillingDate, OverdueAt: r.OverdueAt(), IdempotencyKey: r.IdempotencyKey}
}

func mapSubscription(v *models.SubscriptionView) *model.Subscription {
	if v == nil {
		return nil
	}
	return &model.Subscription{ID: globalID("Subscription", v.ID), DBID: v.ID, EnrollmentID: v.EnrollmentID, DirectAccountID: v.DirectAccountID,
		SKUCode: v.SKU, Sku: catalogSKU(v.Catalog), Program: model.Program(v.Program), AsOf: v.AsOf, Status: model.SubscriptionStatus(v.Status), Quantity: v.QuantityAsOf,
		PendingQuantity: v.PendingQuantity, LicensedQuantity: v.LicensedQuantity, EndDate: v.EndDate, AutoRenew: v.AutoRenew,
		CancelledAt: v.CancelledAt, GraceUntil: v.GraceUntil}
}

func orderConnection(l *models.List[models.Order]) *model.OrderConnection {
	e, pi, n := connection(l, func(r *models.Order) int64 { return r.ID }, mapOrder,
		func(n *model.Order, c string) *model.OrderEdge { return &model.OrderEdge{Node: n, Cursor: c} })
	return &model.OrderConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func reservationConnection(l *models.List[models.Reservation]) *model.ReservationConnection {
	e, pi, n := connection(l, func(r *models.Reservation) int64 { return r.ID }, mapReservation,
		func(n *model.Reservation, c string) *model.ReservationEdge {
			return &model.ReservationEdge{Node: n, Cursor: c}
		})
	return &model.ReservationConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func subscriptionConnection(l *models.List[models.SubscriptionView]) *model.SubscriptionConnection {
	e, pi, n := connection(l, func(r *models.SubscriptionView) int64 { return r.ID }, mapSubscription,
		func(n *model.Subscription, c string) *model.SubscriptionEdge {
			return &model.SubscriptionEdge{Node: n, Cursor: c}
		})
	return &model.SubscriptionConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

func activationEmailConnection(l *models.List[models.ActivationEmail]) *model.ActivationEmailConnection {
	e, pi, n := connection(l, func(r *models.ActivationEmail) int64 { return r.ID }, mapActivationEmail,
		func(n *model.ActivationEmail, c string) *model.ActivationEmailEdge {
			return &model.ActivationEmailEdge{Node: n, Cursor: c}
		})
	return &model.ActivationEmailConnection{Edges: e, PageInfo: pi, TotalCount: n}
}

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
