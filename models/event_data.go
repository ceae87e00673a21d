package models

import (
	"time"

	"github.com/licensing-api/licensing-api/licensing"
)

// The data of each topic: objects by their global IDs (the API's `id` fields, resolvable with
// node(id:)) and the fields a partner needs to act without a query. Instants are RFC 3339 in
// UTC, days YYYY-MM-DD. The README's "Webhooks" section shows each.

// LineData is one order line.
type LineData struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// OrderData is the data of order.created, order.processed and order.cancelled.
type OrderData struct {
	Order            string     `json:"order"` // Order ID
	Number           string     `json:"number"`
	Status           string     `json:"status"` // PLACED, PROCESSED or CANCELLED
	Enrollment       string     `json:"enrollment"`
	EnrollmentNumber string     `json:"enrollmentNumber"`
	Lines            []LineData `json:"lines"`
	PurchaseDate     string     `json:"purchaseDate"`
	UsageStartDate   string     `json:"usageStartDate"`
	ProcessedAt      *time.Time `json:"processedAt,omitempty"`
	AvailableAt      *time.Time `json:"availableAt,omitempty"` // processedAt + 12h (R-ORD-5)
	CancelledAt      *time.Time `json:"cancelledAt,omitempty"`
}

// LicensesAvailableData is the data of licenses.available (R-ORD-5).
type LicensesAvailableData struct {
	Order            string     `json:"order"`
	Number           string     `json:"number"`
	Enrollment       string     `json:"enrollment"`
	EnrollmentNumber string     `json:"enrollmentNumber"`
	Lines            []LineData `json:"lines"`
	ProcessedAt      time.Time  `json:"processedAt"`
	AvailableAt      time.Time  `json:"availableAt"`
}

// ReservationData is the data of reservation.overdue (R-RES-4).
type ReservationData struct {
	Reservation      string    `json:"reservation"`
	Enrollment       string    `json:"enrollment"`
	EnrollmentNumber string    `json:"enrollmentNumber"`
	SKU              string    `json:"sku"`
	Quantity         int       `json:"quantity"`
	ReservedAt       time.Time `json:"reservedAt"`
	OverdueAt        time.Time `json:"overdueAt"`
}

// ActivationEmailData is the data of activation_email.sent and activation_email.bounced. It
// never carries the activation link or its token.
type ActivationEmailData struct {
	Enrollment       string     `json:"enrollment"`
	EnrollmentNumber string     `json:"enrollmentNumber"`
	Recipient        string     `json:"recipient"`
	Trigger          string     `json:"trigger"`
	ScheduledAt      time.Time  `json:"scheduledAt"`
	SentAt           *time.Time `json:"sentAt,omitempty"`
	Reason           string     `json:"reason,omitempty"` // bounced: the mail server's answer, addresses removed
}

// EnrollmentAccountData is the data of enrollment.activated and enrollment.provisioned: the
// enrollment and the account it is now on.
type EnrollmentAccountData struct {
	Enrollment       string    `json:"enrollment"`
	EnrollmentNumber string    `json:"enrollmentNumber"`
	Account          string    `json:"account"`
	Cause            string    `json:"cause"` // the association cause, as Enrollment.associationCause
	AssociatedAt     time.Time `json:"associatedAt"`
}

// LicenseConflictData is the data of license_conflict.opened and license_conflict.resolved
// (R-LIC-2): the counts as of the change; resolved has a deficit of 0.
type LicenseConflictData struct {
	Account  string `json:"account"`
	SKU      string `json:"sku"`
	Licensed int    `json:"licensed"` // ACTIVE quantity (R-SUB-1)
	InGrace  int    `json:"inGrace"`  // IN_GRACE quantity: covers assigned users until the grace period ends (R-SUB-4)
	Assigned int    `json:"assigned"`
	Deficit  int    `json:"deficit"` // assigned - licensed - inGrace, or 0
}

// Causes of subscription.expired.
const (
	ExpiredEndOfTerm = "END_OF_TERM" // R-SUB-5, time-driven
	ExpiredCancelled = "CANCELLED"   // R-SUB-6
)

// SubscriptionData is the data of subscription.in_grace, .deprovisioned, .expired and .renewed.
type SubscriptionData struct {
	Subscription     string     `json:"subscription"`
	SKU              string     `json:"sku"`
	Program          string     `json:"program"`
	Status           string     `json:"status"` // the status it entered
	Cause            string     `json:"cause,omitempty"`
	Enrollment       *string    `json:"enrollment,omitempty"` // null for a direct (MOSP) purchase
	EnrollmentNumber string     `json:"enrollmentNumber,omitempty"`
	DirectAccount    *string    `json:"directAccount,omitempty"`
	EndDate          string     `json:"endDate,omitempty"`
	GraceUntil       *time.Time `json:"graceUntil,omitempty"`
}

// ProductKeyData is the data of product_key.redeemed (R-ACT-13). The key itself is a secret
// and is never in an event.
type ProductKeyData struct {
	Order            string    `json:"order"`
	Enrollment       string    `json:"enrollment"`
	EnrollmentNumber string    `json:"enrollmentNumber"`
	SKU              string    `json:"sku"`
	Quantity         int       `json:"quantity"`
	Account          string    `json:"account"`
	RedeemedAt       time.Time `json:"redeemedAt"`
}

// TestData is the data of webhook.test (sendTestWebhook).
type TestData struct {
	Endpoint string `json:"endpoint"`
	Message  string `json:"message"`
}

func lineData(lines []OrderLine) []LineData {
	out := make([]LineData, 0, len(lines))
	for _, l := range lines {
		out = append(out, LineData{SKU: l.SKU, Quantity: l.Quantity})
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// NewOrderData is the data of an order event for o with its lines.
func NewOrderData(o *Order, enrollmentNumber string, lines []OrderLine) OrderData {
	d := OrderData{Order: GlobalID("Order", o.ID), Number: o.Number, Status: string(o.Status), Enrollment: GlobalID("Enrollment", o.EnrollmentID),
		EnrollmentNumber: enrollmentNumber, Lines: lineData(lines), PurchaseDate: o.PurchaseDate.String(), UsageStartDate: o.UsageStartDate.String(),
		ProcessedAt: utcPtr(o.ProcessedAt), CancelledAt: utcPtr(o.CancelledAt)}
	if o.ProcessedAt != nil {
		at := licensing.PendingUntil(o.ProcessedAt.UTC())
		d.AvailableAt = &at
	}
	return d
}

// NewSubscriptionData is the data of a subscription event: sub entered status, for cause.
func NewSubscriptionData(sub *Subscription, status licensing.SubscriptionStatus, cause, enrollmentNumber string) SubscriptionData {
	return SubscriptionData{Subscription: GlobalID("Subscription", sub.ID), SKU: sub.SKU, Program: string(sub.Program), Status: string(status),
		Cause: cause, Enrollment: optionalGlobalID("Enrollment", sub.EnrollmentID), EnrollmentNumber: enrollmentNumber,
		DirectAccount: optionalGlobalID("Account", sub.DirectAccountID), EndDate: sub.EndDate.String(), GraceUntil: utcPtr(sub.GraceUntil)}
}

// NewEnrollmentAccountData is the data of enrollment.activated or .provisioned for e, which must
// be on its account.
func NewEnrollmentAccountData(e *Enrollment) EnrollmentAccountData {
	d := EnrollmentAccountData{Enrollment: GlobalID("Enrollment", e.ID), EnrollmentNumber: e.Number, Cause: string(e.AssociationCause)}
	if e.AccountID != nil {
		d.Account = GlobalID("Account", *e.AccountID)
	}
	if e.AssociatedAt != nil {
		d.AssociatedAt = e.AssociatedAt.UTC()
	}
	return d
}

// NewProductKeyData is the data of product_key.redeemed for a redeemed key.
func NewProductKeyData(k *ProductKey, enrollmentNumber string) ProductKeyData {
	d := ProductKeyData{Order: GlobalID("Order", k.OrderID), Enrollment: GlobalID("Enrollment", k.EnrollmentID), EnrollmentNumber: enrollmentNumber,
		SKU: k.SKU, Quantity: k.Quantity}
	if k.RedeemedAccountID != nil {
		d.Account = GlobalID("Account", *k.RedeemedAccountID)
	}
	if k.RedeemedAt != nil {
		d.RedeemedAt = k.RedeemedAt.UTC()
	}
	return d
}

// NewActivationEmailData is the data of activation_email.sent (reason "") or .bounced.
func NewActivationEmailData(m *ActivationEmail, enrollmentNumber, reason string) ActivationEmailData {
	return ActivationEmailData{Enrollment: GlobalID("Enrollment", m.EnrollmentID), EnrollmentNumber: enrollmentNumber, Recipient: m.Recipient,
		Trigger: string(m.EmailTrigger), ScheduledAt: m.ScheduledAt.UTC(), SentAt: utcPtr(m.SentAt), Reason: reason}
}

// NewLicenseConflictData is the data of license_conflict.opened for a conflict of an account.
func NewLicenseConflictData(accountID int64, c licensing.Conflict) LicenseConflictData {
	return LicenseConflictData{Account: GlobalID("Account", accountID), SKU: c.SKU, Licensed: c.Licensed, InGrace: c.InGrace,
		Assigned: c.Assigned, Deficit: c.Deficit}
}
