package licensing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Reservations (R-RES): who may reserve, when a reservation is billed and when it is overdue.

const (
	CodeNotPermitted          Code = "NOT_PERMITTED"           // the contact lacks the role or permission (R-RES-2, R-RES-3)
	CodeReservationNotPending Code = "RESERVATION_NOT_PENDING" // processing a reservation that is already EFFECTIVE (R-RES-4)
)

// ReservationDraft is a createReservation call.
type ReservationDraft struct {
	EnrollmentNumber string
	SKU              string
	Quantity         int
	ContactEmail     string // the contact reserving (R-RES-2)
	IdempotencyKey   string
}

// ReservationFacts are the stored facts a reservation is checked against.
type ReservationFacts struct {
	EnrollmentNumber  string // as stored, for messages
	EnrollmentStatus  EnrollmentStatus
	EnrollmentEndDate Date
	Today             Date
	SKU               *SKUFacts       // nil: not in the catalog
	SubscribedSKUs    map[string]bool // SKUs with an ACTIVE subscription on the enrollment
}

// ValidateReservation returns every reason to refuse d before who reserves is known (MayReserve):
// an idempotency key (a partner's retry never reserves twice), a quantity in 1..MaxOrderQuantity,
// an enrollment open for new licenses (CheckEnrollmentOpen: R-RES-1 adds them at once) and a
// catalog SKU whose base is on the enrollment (R-ORD-3, AddOnMissingBase).
func ValidateReservation(d ReservationDraft, f ReservationFacts) Problems {
	var ps Problems
	if strings.TrimSpace(d.IdempotencyKey) == "" {
		ps.Add(CodeRequired, "an idempotency key is required so that a retry cannot reserve twice", "idempotencyKey")
	}
	checkQuantity(&ps, d.Quantity, "quantity")
	if p := CheckEnrollmentOpen(f.EnrollmentStatus, f.EnrollmentEndDate, f.EnrollmentNumber, f.Today); p != nil {
		ps = append(ps, *p)
	}
	if f.SKU == nil {
		ps.Add(CodeUnknownSKU, fmt.Sprintf("SKU %q is not in the catalog", d.SKU), "sku")
	} else if p := AddOnMissingBase(*f.SKU, f.SubscribedSKUs, "the enrollment"); p != nil {
		ps = append(ps, *p)
	}
	return ps
}

// R-RES-1: ReservationBillingDate is the day a reservation's licenses, added to the enrollment
// at once, are billed: the agreement's next anniversary strictly after the day of the
// reservation (a true-up). One made on the anniversary itself is billed a year later. The
// anniversary recurs on its month and day; a Feb 29 anniversary falls on Feb 28 in common
// years, so the true-up stays in February. A zero anniversary gives a zero Date.
func ReservationBillingDate(agreementAnniversary Date, reservedAt time.Time) Date {
	if agreementAnniversary.IsZero() {
		return Date{}
	}
	day := DateOf(reservedAt)
	next := anniversaryIn(agreementAnniversary, day.Start().Year())
	if !next.After(day) {
		next = anniversaryIn(agreementAnniversary, day.Start().Year()+1)
	}
	return next
}

// NotYetBilled tells whether a reservation billed on billingDate (ReservationBillingDate) is
// still unbilled as of asOf: until that day begins its licenses count (they were added at once)
// and show as reserved-not-billed in the summary.
func NotYetBilled(billingDate Date, asOf time.Time) bool { return billingDate.After(DateOf(asOf)) }

func anniversaryIn(a Date, year int) Date {
	m, d := a.Start().Month(), a.Start().Day()
	if m == time.February && d == 29 && !isLeapYear(year) {
		d = 28
	}
	return NewDate(year, m, d)
}

func isLeapYear(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// ManageReservationsPermission is the per-enrollment grant that lets an OSM reserve (R-RES-2, R-RES-3).
const ManageReservationsPermission = "MANAGE_RESERVATIONS"

// ReservationActor is what R-RES-2 needs to know about the contact reserving.
type ReservationActor struct {
	Roles []ContactRole // the contact's roles on the agreement
	IsOSM bool          // the contact is the enrollment's OSM
	// OSMCanManageReservations: the OSM holds MANAGE_RESERVATIONS on this enrollment.
	OSMCanManageReservations bool
}

// R-RES-2: MayReserve lets a VLSC or online administrator reserve, or the enrollment's OSM holding
// MANAGE_RESERVATIONS. An agreement administrator alone may not: the rulebook does not list it.
func MayReserve(a ReservationActor) *Problem {
	if hasRole(a.Roles, RoleVLSCAdministrator) || hasRole(a.Roles, RoleOnlineAdministrator) {
		return nil
	}
	if a.IsOSM {
		if a.OSMCanManageReservations {
			return nil
		}
		return refusal(CodeNotPermitted, "the enrollment's OSM needs the MANAGE_RESERVATIONS permission on this enrollment, granted by an AGREEMENT_ADMINISTRATOR, to reserve", "contact")
	}
	return refusal(CodeNotPermitted, "reserving needs the VLSC_ADMINISTRATOR or ONLINE_ADMINISTRATOR role, or being the enrollment's OSM with the MANAGE_RESERVATIONS permission", "contact")
}

// R-RES-3: MayManageReservationPermission lets only an AGREEMENT_ADMINISTRATOR (roles: the acting
// contact's) grant or revoke MANAGE_RESERVATIONS, and only to the enrollment's OSM (osmEmail):
// the grant is per enrollment. Input {"actingContact"}, or {"enrollment"} without an OSM.
func MayManageReservationPermission(roles []ContactRole, osmEmail string) *Problem {
	if !hasRole(roles, RoleAgreementAdministrator) {
		return refusal(CodeNotPermitted, "only an AGREEMENT_ADMINISTRATOR can grant or revoke MANAGE_RESERVATIONS", "actingContact")
	}
	if osmEmail == "" {
		return refusal(CodeNoSubscriptionContact, "the enrollment has no OSM to grant the permission to; set its subscription contact first", "enrollment")
	}
	return nil
}

func hasRole(roles []ContactRole, r ContactRole) bool { return oneOf(r, roles) }

// ReservationStatus is PENDING until processed, then EFFECTIVE (CanProcessReservation).
type ReservationStatus string

const (
	ReservationPending   ReservationStatus = "PENDING"
	ReservationEffective ReservationStatus = "EFFECTIVE"
)

func (s ReservationStatus) Valid() bool { return s == ReservationPending || s == ReservationEffective }

// ReservationOverdueAfter is how long a reservation may stay pending before support is needed (R-RES-4).
const ReservationOverdueAfter = 25 * time.Hour

// CanProcessReservation: only a PENDING reservation is processed (made EFFECTIVE, an operator's
// action). Input {"reservation"}.
func CanProcessReservation(s ReservationStatus) *Problem {
	if s == ReservationPending {
		return nil
	}
	return refusal(CodeReservationNotPending, "this reservation is already "+string(s), "reservation")
}

// OverdueAt is when a still-pending reservation becomes overdue (ReservationOverdue).
func OverdueAt(reservedAt time.Time) time.Time { return reservedAt.Add(ReservationOverdueAfter) }

// R-RES-4: ReservationOverdue tells a reservation still PENDING at or after 25 hours from
// reservedAt: the customer should contact support.
func ReservationOverdue(status ReservationStatus, reservedAt, asOf time.Time) bool {
	return status == ReservationPending && !asOf.Before(OverdueAt(reservedAt))
}

// ReservationFingerprint is a digest of a reservation's content for its idempotency key: the
// rule of DecideIdempotency (R-ORD-2), applied to reservations so that a partner's retry never
// reserves twice.
func ReservationFingerprint(enrollmentNumber, sku string, quantity int, contactEmail string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("v1 enrollment=%q sku=%q quantity=%d contact=%q", enrollmentNumber, sku, quantity, strings.ToLower(contactEmail))))
	return hex.EncodeToString(sum[:])
}

// AddOnMissingBase applies AddOnWithoutBase (R-ORD-3) to a single SKU being added: an add-on
// needs one of its base SKUs subscribed where it lands, on the enrollment for a reservation, on
// the account for a direct (MOSP) purchase (where names it). Input {"sku"}.
func AddOnMissingBase(sku SKUFacts, subscribed map[string]bool, where string) *Problem {
	if !AddOnWithoutBase(sku.Kind, sku.BaseSKUs, subscribed) {
		return nil
	}
	return refusal(CodeAddonRequiresBase, fmt.Sprintf("add-on %s needs one of %s subscribed on %s", sku.Code, strings.Join(sku.BaseSKUs, ", "), where), "sku")
}
