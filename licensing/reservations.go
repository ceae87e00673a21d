package licensing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Reservations (R-RES): who may reserve, when a reservation is billed and when it is overdue.

// ReservationBillingDate is the agreement's next anniversary strictly after the day of the
// reservation (R-RES-1): one made on the anniversary itself is billed a year later. The
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

// MayReserve (R-RES-2): a VLSC or online administrator, or the enrollment's OSM holding
// MANAGE_RESERVATIONS. An agreement administrator alone may not: the rulebook does not list it.
func MayReserve(a ReservationActor) *Problem {
	if hasRole(a.Roles, RoleVLSCAdministrator) || hasRole(a.Roles, RoleOnlineAdministrator) {
		return nil
	}
	if a.IsOSM {
		if a.OSMCanManageReservations {
			return nil
		}
		return refusal(CodeNotPermitted, "the enrollment's OSM needs the MANAGE_RESERVATIONS permission on this enrollment, granted by an AGREEMENT_ADMINISTRATOR, to reserve", "contactEmail")
	}
	return refusal(CodeNotPermitted, "reserving needs the VLSC_ADMINISTRATOR or ONLINE_ADMINISTRATOR role, or being the enrollment's OSM with the MANAGE_RESERVATIONS permission", "contactEmail")
}

// MayManageReservationPermission (R-RES-3): only an AGREEMENT_ADMINISTRATOR grants or
// revokes MANAGE_RESERVATIONS. Field {"contactEmail"} is the acting contact.
func MayManageReservationPermission(roles []ContactRole) *Problem {
	if hasRole(roles, RoleAgreementAdministrator) {
		return nil
	}
	return refusal(CodeNotPermitted, "only an AGREEMENT_ADMINISTRATOR can grant or revoke MANAGE_RESERVATIONS", "contactEmail")
}

func hasRole(roles []ContactRole, r ContactRole) bool { return oneOf(r, roles) }

// ReservationStatus is PENDING until processed, then EFFECTIVE (R-RES-4).
type ReservationStatus string

const (
	ReservationPending   ReservationStatus = "PENDING"
	ReservationEffective ReservationStatus = "EFFECTIVE"
)

func (s ReservationStatus) Valid() bool { return s == ReservationPending || s == ReservationEffective }

// ReservationOverdueAfter is how long a reservation may stay pending before support is needed (R-RES-4).
const ReservationOverdueAfter = 25 * time.Hour

// OverdueAt is when a still-pending reservation becomes overdue (R-RES-4).
func OverdueAt(reservedAt time.Time) time.Time { return reservedAt.Add(ReservationOverdueAfter) }

// ReservationOverdue: still PENDING at or after 25 hours from reservedAt (R-RES-4).
func ReservationOverdue(status ReservationStatus, reservedAt, asOf time.Time) bool {
	return status == ReservationPending && !asOf.Before(OverdueAt(reservedAt))
}

// ReservationFingerprint is a digest of a reservation's content for its idempotency key
// (the R-ORD-2 rule, applied to reservations so that a partner's retry never reserves twice).
func ReservationFingerprint(enrollmentNumber, sku string, quantity int, contactEmail string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("v1 enrollment=%q sku=%q quantity=%d contact=%q", enrollmentNumber, sku, quantity, strings.ToLower(contactEmail))))
	return hex.EncodeToString(sum[:])
}

// AddOnMissingBase applies R-ORD-3 to a single SKU being added (a reservation): an add-on needs
// one of its base SKUs subscribed on the enrollment. Field {"sku"}.
func AddOnMissingBase(sku SKUFacts, subscribed map[string]bool) *Problem {
	if !AddOnWithoutBase(sku.Kind, sku.BaseSKUs, subscribed) {
		return nil
	}
	return refusal(CodeAddonRequiresBase, fmt.Sprintf("add-on %s needs one of %s subscribed on the enrollment", sku.Code, strings.Join(sku.BaseSKUs, ", ")), "sku")
}
