package licensing

// Ledger rules: orders (R-ORD), reservations (R-RES) and subscription quantities (R-SUB).

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	CodeEnrollmentNotActive      Code = "ENROLLMENT_NOT_ACTIVE"      // orders need an ACTIVE enrollment (R-ORD-1)
	CodeInvalidQuantity          Code = "INVALID_QUANTITY"           // a quantity is not in 1..MaxOrderQuantity (R-ORD-1, R-SUB-7)
	CodeDuplicateLine            Code = "DUPLICATE_LINE"             // a SKU appears on two lines of one order
	CodeAddonRequiresBase        Code = "ADDON_REQUIRES_BASE"        // an add-on without its base on the enrollment (R-ORD-3)
	CodeMigrationQuantityTooLow  Code = "MIGRATION_QUANTITY_TOO_LOW" // a move from MOSP orders less than it holds (R-ORD-4)
	CodeIdempotencyKeyReused     Code = "IDEMPOTENCY_KEY_REUSED"     // one key, different content (R-ORD-2)
	CodeOrderNotPlaced           Code = "ORDER_NOT_PLACED"           // process/cancel of an order that is not PLACED (R-ORD-1)
	CodeNotPermitted             Code = "NOT_PERMITTED"              // the contact lacks the role or permission (R-RES-2, R-RES-3)
	CodeCancelThroughSupport     Code = "CANCEL_THROUGH_SUPPORT"     // MOSP is cancelled by support (R-SUB-6)
	CodeCancelNotAllowed         Code = "CANCEL_NOT_ALLOWED"         // the program does not allow cancelling (R-SUB-6)
	CodeSubscriptionNotRenewable Code = "SUBSCRIPTION_NOT_RENEWABLE" // IN_GRACE, DEPROVISIONED or cancelled (R-SUB-5)
	CodeReservationNotPending    Code = "RESERVATION_NOT_PENDING"    // processing a reservation that is already EFFECTIVE (R-RES-4)
	CodeSubscriptionNotActive    Code = "SUBSCRIPTION_NOT_ACTIVE"    // a quantity change on an expired, in-grace or cancelled subscription
)

// MaxOrderQuantity bounds any one quantity or total: far above any real order, it catches
// typos and keeps sums far from integer overflow.
const MaxOrderQuantity = 1_000_000

func ledgerProblem(code Code, msg string, field ...string) *Problem {
	return &Problem{Field: field, Code: code, Message: msg}
}

// ---- Orders (R-ORD) ----

// OrderStatus is the lifecycle of an order (R-ORD-1).
type OrderStatus string

const (
	OrderPlaced    OrderStatus = "PLACED"
	OrderProcessed OrderStatus = "PROCESSED" // invoiced
	OrderCancelled OrderStatus = "CANCELLED"
)

func (s OrderStatus) Valid() bool {
	return s == OrderPlaced || s == OrderProcessed || s == OrderCancelled
}

// AddsQuantity: only a processed order adds its quantities to subscriptions (R-ORD-1).
func (s OrderStatus) AddsQuantity() bool { return s == OrderProcessed }

// OrderLineDraft is one line of an order as the caller sent it.
type OrderLineDraft struct {
	SKU      string
	Quantity int
}

// OrderDraft is the placeOrder input.
type OrderDraft struct {
	EnrollmentNumber string
	Lines            []OrderLineDraft
	PurchaseDate     Date
	UsageStartDate   Date
	IdempotencyKey   string
	// MovesFromDirect marks a move from a direct (MOSP) subscription (R-ORD-4);
	// MovesFromSubscription names it (its id), so it is part of the order's content.
	MovesFromDirect       bool
	MovesFromSubscription int64
}

// SKUFacts is what the order rules need of a catalog SKU.
type SKUFacts struct {
	Code     string
	Family   Family
	Kind     SKUKind
	BaseSKUs []string // for an add-on: any one of these satisfies it (R-ORD-3)
	Unit     Unit
}

// OrderFacts are the stored facts an order is checked against.
type OrderFacts struct {
	EnrollmentStatus    EnrollmentStatus
	EnrollmentStartDate Date // zero: no fixed start
	EnrollmentEndDate   Date // zero: no fixed end
	// Today is the day the order is placed: an enrollment that has ended takes no order,
	// whatever purchase date is written on it. Zero skips the check (renewals).
	Today          Date
	Catalog        map[string]SKUFacts // by SKU code
	SubscribedSKUs map[string]bool     // SKUs with an ACTIVE subscription on the enrollment
	// DirectHoldings is SKU -> quantity held by the direct (MOSP) subscription being moved;
	// only read when the draft MovesFromDirect (R-ORD-4).
	DirectHoldings map[string]int
}

// ValidateOrder returns every reason to refuse d; none means the order may be placed.
// Idempotency (R-ORD-2) is decided separately, once the key's earlier order is known.
func ValidateOrder(d OrderDraft, f OrderFacts) Problems {
	var ps Problems
	// R-ORD-1: an active enrollment, a key, two dates in order, one or more lines.
	if strings.TrimSpace(d.EnrollmentNumber) == "" {
		ps.Add(CodeRequired, "an enrollment number is required", "enrollmentNumber")
	} else if f.EnrollmentStatus != EnrollmentActive {
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s is %s; orders need an ACTIVE enrollment", d.EnrollmentNumber, orDash(string(f.EnrollmentStatus))), "enrollmentNumber")
	} else if !f.Today.IsZero() && !f.EnrollmentEndDate.IsZero() && f.Today.After(f.EnrollmentEndDate) {
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s ended on %s; renew it to order", d.EnrollmentNumber, f.EnrollmentEndDate), "enrollmentNumber")
	}
	if strings.TrimSpace(d.IdempotencyKey) == "" {
		ps.Add(CodeRequired, "an idempotency key is required so that a retry cannot order twice", "idempotencyKey")
	}
	switch {
	case d.PurchaseDate.IsZero():
		ps.Add(CodeRequired, "a purchase date is required", "purchaseDate")
	case !f.EnrollmentStartDate.IsZero() && d.PurchaseDate.Before(f.EnrollmentStartDate):
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("the enrollment starts on %s, after the purchase date %s", f.EnrollmentStartDate, d.PurchaseDate), "purchaseDate")
	case !f.EnrollmentEndDate.IsZero() && d.PurchaseDate.After(f.EnrollmentEndDate):
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("the enrollment ended on %s, before the purchase date %s", f.EnrollmentEndDate, d.PurchaseDate), "purchaseDate")
	}
	switch {
	case d.UsageStartDate.IsZero():
		ps.Add(CodeRequired, "a usage start date is required", "usageStartDate")
	case !d.PurchaseDate.IsZero() && d.UsageStartDate.Before(d.PurchaseDate):
		ps.Add(CodeInvalid, fmt.Sprintf("usage start %s is before the purchase date %s", d.UsageStartDate, d.PurchaseDate), "usageStartDate")
	case !f.EnrollmentEndDate.IsZero() && d.UsageStartDate.After(f.EnrollmentEndDate) && !d.PurchaseDate.After(f.EnrollmentEndDate):
		ps.Add(CodeInvalid, fmt.Sprintf("usage start %s is after the enrollment ends (%s)", d.UsageStartDate, f.EnrollmentEndDate), "usageStartDate")
	}
	if len(d.Lines) == 0 {
		ps.Add(CodeRequired, "an order needs at least one line", "lines")
		return ps
	}

	inOrder := map[string]bool{}
	firstLine := map[string]int{}
	for _, l := range d.Lines {
		if l.SKU != "" {
			inOrder[l.SKU] = true
		}
	}
	for i, l := range d.Lines {
		at := strconv.Itoa(i)
		if l.Quantity <= 0 || l.Quantity > MaxOrderQuantity {
			ps.Add(CodeInvalidQuantity, fmt.Sprintf("quantity %d must be between 1 and %d", l.Quantity, MaxOrderQuantity), "lines", at, "quantity")
		}
		if l.SKU == "" {
			ps.Add(CodeRequired, "a SKU is required", "lines", at, "sku")
			continue
		}
		// DUPLICATE_LINE: one SKU, one line, so a quantity is never split or counted twice.
		if j, seen := firstLine[l.SKU]; seen {
			ps.Add(CodeDuplicateLine, fmt.Sprintf("%s is already on line %d; put its whole quantity on one line", l.SKU, j), "lines", at, "sku")
			continue
		}
		firstLine[l.SKU] = i
		sku, ok := f.Catalog[l.SKU]
		if !ok {
			ps.Add(CodeUnknownSKU, fmt.Sprintf("%s is not in the catalog", l.SKU), "lines", at, "sku")
			continue
		}
		// R-ORD-3: an add-on needs one of its bases, subscribed or in this order.
		if sku.Kind == KindAddOn && !addOnHasBase(sku.BaseSKUs, f.SubscribedSKUs, inOrder) {
			ps.Add(CodeAddonRequiresBase, fmt.Sprintf("add-on %s needs one of %s subscribed on the enrollment or in the same order", l.SKU, strings.Join(sku.BaseSKUs, ", ")), "lines", at, "sku")
		}
	}

	// R-ORD-4: a move from MOSP orders at least what the direct subscription holds, per SKU.
	if d.MovesFromDirect {
		ordered := map[string]int{}
		for _, l := range d.Lines {
			if l.Quantity > 0 {
				ordered[l.SKU] += l.Quantity
			}
		}
		var short []string
		for _, code := range sortedKeys(f.DirectHoldings) {
			held := f.DirectHoldings[code]
			if got := ordered[code]; got < held {
				short = append(short, fmt.Sprintf("%s: %d short (ordered %d, direct subscription holds %d)", code, held-got, got, held))
			}
		}
		if len(short) > 0 {
			ps.Add(CodeMigrationQuantityTooLow, "moving from the direct subscription must order at least what it holds, so no data is lost: "+strings.Join(short, "; "), "lines")
		}
	}
	return ps
}

func addOnHasBase(bases []string, subscribed, inOrder map[string]bool) bool {
	for _, b := range bases {
		if subscribed[b] || inOrder[b] {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// OrderFingerprint is a digest of an order's content (R-ORD-2): enrollment, dates, move
// flag and lines sorted by SKU, but not the idempotency key. Line order does not matter.
func OrderFingerprint(d OrderDraft) string {
	lines := append([]OrderLineDraft(nil), d.Lines...)
	sort.Slice(lines, func(i, j int) bool {
		if lines[i].SKU != lines[j].SKU {
			return lines[i].SKU < lines[j].SKU
		}
		return lines[i].Quantity < lines[j].Quantity
	})
	var b strings.Builder
	// %q quotes every text field, so no two different orders can print alike.
	fmt.Fprintf(&b, "v1 enrollment=%q purchase=%s usage=%s move=%t from=%d", d.EnrollmentNumber, d.PurchaseDate, d.UsageStartDate, d.MovesFromDirect, d.MovesFromSubscription)
	for _, l := range lines {
		fmt.Fprintf(&b, " line=%q:%d", l.SKU, l.Quantity)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// DecideIdempotency compares the fingerprint of the order already stored under the key
// (empty: none yet, so create it) with the new one (R-ORD-2): the same content reuses the
// first order; different content is refused.
func DecideIdempotency(existingFingerprint, newFingerprint string) (reuse bool, p *Problem) {
	switch existingFingerprint {
	case "":
		return false, nil
	case newFingerprint:
		return true, nil
	}
	return false, ledgerProblem(CodeIdempotencyKeyReused, "this idempotency key was already used for an order with different content; use a new key for a new order", "idempotencyKey")
}

// CanProcessOrder: only a PLACED order can be processed (R-ORD-1). Field {"orderId"}.
func CanProcessOrder(s OrderStatus) *Problem { return orderMustBePlaced(s, "processed") }

// CanCancelOrder: only a PLACED order can be cancelled (R-ORD-1). Field {"orderId"}.
func CanCancelOrder(s OrderStatus) *Problem { return orderMustBePlaced(s, "cancelled") }

func orderMustBePlaced(s OrderStatus, verb string) *Problem {
	if s == OrderPlaced {
		return nil
	}
	return ledgerProblem(CodeOrderNotPlaced, fmt.Sprintf("only a PLACED order can be %s; this one is %s", verb, orDash(string(s))), "orderId")
}

// OrderPendingPeriod is how long a processed order's licenses show as pending (R-ORD-5).
const OrderPendingPeriod = 12 * time.Hour

// PendingUntil is when a processed order's licenses become available (R-ORD-5).
func PendingUntil(processedAt time.Time) time.Time { return processedAt.Add(OrderPendingPeriod) }

// LineAvailability reports whether a line processed at processedAt is still pending as of
// asOf (R-ORD-5); at exactly 12 hours it is available.
func LineAvailability(processedAt, asOf time.Time) (pending bool) {
	return asOf.Before(PendingUntil(processedAt))
}

// ProcessedLine is the quantity of one processed order line and when it was processed.
type ProcessedLine struct {
	Quantity    int
	ProcessedAt time.Time
}

// SplitPending sums processed lines into available and still-pending quantities as of asOf (R-ORD-5).
func SplitPending(lines []ProcessedLine, asOf time.Time) (available, pending int) {
	for _, l := range lines {
		if LineAvailability(l.ProcessedAt, asOf) {
			pending += l.Quantity
		} else {
			available += l.Quantity
		}
	}
	return available, pending
}

// ---- Reservations (R-RES) ----

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
		return ledgerProblem(CodeNotPermitted, "the enrollment's OSM needs the MANAGE_RESERVATIONS permission on this enrollment, granted by an AGREEMENT_ADMINISTRATOR, to reserve", "contactEmail")
	}
	return ledgerProblem(CodeNotPermitted, "reserving needs the VLSC_ADMINISTRATOR or ONLINE_ADMINISTRATOR role, or being the enrollment's OSM with the MANAGE_RESERVATIONS permission", "contactEmail")
}

// MayManageReservationPermission (R-RES-3): only an AGREEMENT_ADMINISTRATOR grants or
// revokes MANAGE_RESERVATIONS. Field {"contactEmail"} is the acting contact.
func MayManageReservationPermission(roles []ContactRole) *Problem {
	if hasRole(roles, RoleAgreementAdministrator) {
		return nil
	}
	return ledgerProblem(CodeNotPermitted, "only an AGREEMENT_ADMINISTRATOR can grant or revoke MANAGE_RESERVATIONS", "contactEmail")
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

// ---- Subscriptions (R-SUB) ----

// SubscriptionQuantity is one subscription's quantity and the facts deciding its status.
type SubscriptionQuantity struct {
	Quantity int
	Term     SubscriptionTerm
}

// LicensedQuantity counts ACTIVE subscriptions only as of asOf (R-SUB-1), so an old
// enrollment IN_GRACE and its renewal are not a double count (R-SUB-2).
func LicensedQuantity(subs []SubscriptionQuantity, asOf time.Time) int {
	n := 0
	for _, s := range subs {
		if s.Term.StatusAt(asOf).Counts() {
			n += s.Quantity
		}
	}
	return n
}

// CanRenewSubscription (R-SUB-5): renewing makes an EXPIRED subscription ACTIVE again.
// Renewing an ACTIVE one (auto-renewing or not) is accepted and leaves it ACTIVE, so a
// retried renew is not an error. IN_GRACE belongs to a renewed enrollment (its successor
// carries on, R-SUB-2) and DEPROVISIONED has lost its data (R-SUB-3): neither renews.
// Field {"subscriptionId"}.
func CanRenewSubscription(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled {
		return ledgerProblem(CodeSubscriptionNotRenewable, "this subscription was cancelled; order a new one", "subscriptionId")
	}
	switch status {
	case SubscriptionActive, SubscriptionExpired:
		return nil
	case SubscriptionInGrace:
		return ledgerProblem(CodeSubscriptionNotRenewable, "this subscription is IN_GRACE because its enrollment was renewed; use the new enrollment's subscription", "subscriptionId")
	case SubscriptionDeprovisioned:
		return ledgerProblem(CodeSubscriptionNotRenewable, "this subscription is DEPROVISIONED and its data deleted; order a new one", "subscriptionId")
	}
	return ledgerProblem(CodeSubscriptionNotRenewable, fmt.Sprintf("a subscription in status %s cannot be renewed", orDash(string(status))), "subscriptionId")
}

// MayCancelSubscription (R-SUB-6): the reseller cancels OPEN_VALUE and MPSA subscriptions;
// MOSP ones are cancelled through support (bySupport: a platform operator acting as support);
// the others are refused with the reason. Field {"subscriptionId"}.
func MayCancelSubscription(p Program, bySupport bool) *Problem {
	switch p {
	case ProgramOpenValue, ProgramMPSA:
		return nil
	case ProgramMOSP:
		if bySupport {
			return nil
		}
		return ledgerProblem(CodeCancelThroughSupport, "a MOSP (direct) subscription is cancelled through support, not by the reseller", "subscriptionId")
	case ProgramEnterprise, ProgramEnterpriseSubscription, ProgramCampusAndSchool:
		return ledgerProblem(CodeCancelNotAllowed, fmt.Sprintf("%s subscriptions are committed for the enrollment's term and cannot be cancelled; lower them at renewal", p), "subscriptionId")
	}
	return ledgerProblem(CodeCancelNotAllowed, fmt.Sprintf("subscriptions of program %s cannot be cancelled", orDash(string(p))), "subscriptionId")
}

// ValidateNewTotal (R-SUB-7): buying more sends the new total, not a delta (100 plus 5
// more is 105). The total must be 1..MaxOrderQuantity; the same total is a no-op. Lowering
// below what is assigned is R-LIC-6, decided elsewhere. Field {"newTotal"}.
func ValidateNewTotal(current, newTotal int) *Problem {
	if newTotal >= 1 && newTotal <= MaxOrderQuantity {
		return nil
	}
	return ledgerProblem(CodeInvalidQuantity, fmt.Sprintf("the new total %d must be between 1 and %d; it is the total after buying, not the number to add (to add 5 to %d, send %d)", newTotal, MaxOrderQuantity, current, current+5), "newTotal")
}

// RenewedEndDate is the end of a renewed subscription's new one-year term (R-SUB-5): a year
// after its old end date, or after asOf's day when it lapsed earlier than that.
func RenewedEndDate(end Date, asOf time.Time) Date {
	from := end
	if today := DateOf(asOf); end.IsZero() || end.Before(today) {
		from = today
	}
	return from.AddYears(1)
}

// ReservationFingerprint is a digest of a reservation's content for its idempotency key
// (the R-ORD-2 rule, applied to reservations so that a partner's retry never reserves twice).
func ReservationFingerprint(enrollmentNumber, sku string, quantity int, contactEmail string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("v1 enrollment=%q sku=%q quantity=%d contact=%q", enrollmentNumber, sku, quantity, strings.ToLower(contactEmail))))
	return hex.EncodeToString(sum[:])
}

// CheckEnrollmentOpen refuses adding licenses to an enrollment that is not ACTIVE or whose term
// ended before the day (R-ORD-1, applied to reservations too: R-RES-1 adds licenses at once).
// Field {"enrollmentNumber"}.
func CheckEnrollmentOpen(status EnrollmentStatus, end Date, number string, day Date) *Problem {
	if status != EnrollmentActive {
		return ledgerProblem(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s is %s; licenses are added to ACTIVE enrollments only", number, orDash(string(status))), "enrollmentNumber")
	}
	if !end.IsZero() && day.After(end) {
		return ledgerProblem(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s ended on %s", number, end), "enrollmentNumber")
	}
	return nil
}

// AddOnMissingBase applies R-ORD-3 to a single SKU being added (a reservation): an add-on needs
// one of its base SKUs subscribed on the enrollment. Field {"sku"}.
func AddOnMissingBase(sku SKUFacts, subscribed map[string]bool) *Problem {
	if sku.Kind != KindAddOn || addOnHasBase(sku.BaseSKUs, subscribed, nil) {
		return nil
	}
	return ledgerProblem(CodeAddonRequiresBase, fmt.Sprintf("add-on %s needs one of %s subscribed on the enrollment", sku.Code, strings.Join(sku.BaseSKUs, ", ")), "sku")
}

// PendingPart is how much of a subscription's total is still pending (R-ORD-5): what orders
// added within the last 12 hours, but never more than the total, since a later lowering of the
// quantity (R-SUB-7) takes from those licenses first.
func PendingPart(total, addedRecently int) int {
	return max(0, min(addedRecently, total))
}

// LicensedPart is how much of a subscription's quantity is usable as of an instant: nothing
// unless it is ACTIVE (R-SUB-1), and not the licenses still pending (R-ORD-5).
func LicensedPart(status SubscriptionStatus, total, pending int) int {
	if !status.Counts() {
		return 0
	}
	return max(0, total-pending)
}

// CanChangeQuantity: only a subscription that counts (ACTIVE, R-SUB-1) and is not cancelled
// takes a new total (R-SUB-7). Field {"subscriptionId"}.
func CanChangeQuantity(status SubscriptionStatus, cancelled bool) *Problem {
	if cancelled || status != SubscriptionActive {
		return ledgerProblem(CodeSubscriptionNotActive, fmt.Sprintf("only an ACTIVE subscription takes a new quantity; this one is %s (renew it first, or order a new one)", map[bool]string{true: "cancelled", false: string(status)}[cancelled]), "subscriptionId")
	}
	return nil
}
