package licensing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Orders (R-ORD): placing, idempotency, processing and cancelling, and the pending period.

const (
	CodeEnrollmentNotActive     Code = "ENROLLMENT_NOT_ACTIVE"      // orders need an ACTIVE enrollment (R-ORD-1)
	CodeDuplicateLine           Code = "DUPLICATE_LINE"             // a SKU appears on two lines of one order
	CodeAddonRequiresBase       Code = "ADDON_REQUIRES_BASE"        // an add-on without its base on the enrollment (R-ORD-3)
	CodeMigrationQuantityTooLow Code = "MIGRATION_QUANTITY_TOO_LOW" // a move from MOSP orders less than it holds (R-ORD-4)
	CodeIdempotencyKeyReused    Code = "IDEMPOTENCY_KEY_REUSED"     // one key, different content (R-ORD-2)
	CodeOrderNotPlaced          Code = "ORDER_NOT_PLACED"           // process/cancel of an order that is not PLACED (R-ORD-1)
)

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

// AddsQuantity: only a processed order adds its quantities to subscriptions (see ValidateOrder).
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

// R-ORD-1: ValidateOrder returns every reason to refuse d; none means the order may be placed:
// against an ACTIVE enrollment that has not ended by f.Today, with an idempotency key, a purchase
// date within the enrollment's term, a usage start date on or after it, and one or more lines,
// one per SKU, of a catalog SKU and a quantity in 1..MaxOrderQuantity. The lines are checked
// against R-ORD-3 (AddOnWithoutBase) and, for a move from a direct subscription, R-ORD-4
// (MoveShortfall). Idempotency (R-ORD-2) is decided separately, once the key's earlier order is
// known. The order then goes PLACED, and PROCESSED (CanProcessOrder: only then does it add its
// quantities) or CANCELLED (CanCancelOrder).
func ValidateOrder(d OrderDraft, f OrderFacts) Problems {
	var ps Problems
	checkOrderEnrollment(&ps, d, f)
	if strings.TrimSpace(d.IdempotencyKey) == "" {
		ps.Add(CodeRequired, "an idempotency key is required so that a retry cannot order twice", "idempotencyKey")
	}
	checkOrderDates(&ps, d, f)
	if len(d.Lines) == 0 {
		ps.Add(CodeRequired, "an order needs at least one line", "lines")
		return ps
	}
	checkOrderLines(&ps, d.Lines, f)
	if d.MovesFromDirect {
		if short := MoveShortfall(d.Lines, f.DirectHoldings); len(short) > 0 {
			ps.Add(CodeMigrationQuantityTooLow, "moving from the direct subscription must order at least what it holds, so no data is lost: "+strings.Join(short, "; "), "lines")
		}
	}
	return ps
}

func checkOrderEnrollment(ps *Problems, d OrderDraft, f OrderFacts) {
	switch {
	case strings.TrimSpace(d.EnrollmentNumber) == "":
		ps.Add(CodeRequired, "an enrollment number is required", "enrollment")
	case f.EnrollmentStatus != EnrollmentActive:
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s is %s; orders need an ACTIVE enrollment", d.EnrollmentNumber, orDash(string(f.EnrollmentStatus))), "enrollment")
	case !f.Today.IsZero() && !f.EnrollmentEndDate.IsZero() && f.Today.After(f.EnrollmentEndDate):
		ps.Add(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s ended on %s; renew it to order", d.EnrollmentNumber, f.EnrollmentEndDate), "enrollment")
	}
}

func checkOrderDates(ps *Problems, d OrderDraft, f OrderFacts) {
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
}

func checkOrderLines(ps *Problems, lines []OrderLineDraft, f OrderFacts) {
	inOrder := map[string]bool{}
	firstLine := map[string]int{}
	for _, l := range lines {
		if l.SKU != "" {
			inOrder[l.SKU] = true
		}
	}
	for i, l := range lines {
		at := strconv.Itoa(i)
		checkQuantity(ps, l.Quantity, "lines", at, "quantity")
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
		if AddOnWithoutBase(sku.Kind, sku.BaseSKUs, f.SubscribedSKUs, inOrder) {
			ps.Add(CodeAddonRequiresBase, fmt.Sprintf("add-on %s needs one of %s subscribed on the enrollment or in the same order", l.SKU, strings.Join(sku.BaseSKUs, ", ")), "lines", at, "sku")
		}
	}
}

// R-ORD-4: MoveShortfall lists, SKU by SKU in code order, what an order moving a customer from a
// direct (MOSP) subscription orders short of what that subscription holds (held: SKU ->
// quantity, its add-ons included), so that no data is lost; empty when the order covers it all.
// The move adds licenses; it does not cancel the direct subscription.
func MoveShortfall(lines []OrderLineDraft, held map[string]int) []string {
	ordered := map[string]int{}
	for _, l := range lines {
		if l.Quantity > 0 {
			ordered[l.SKU] += l.Quantity
		}
	}
	var short []string
	for _, code := range slices.Sorted(maps.Keys(held)) {
		if got := ordered[code]; got < held[code] {
			short = append(short, fmt.Sprintf("%s: %d short (ordered %d, direct subscription holds %d)", code, held[code]-got, got, held[code]))
		}
	}
	return short
}

// R-ORD-3: AddOnWithoutBase reports an add-on none of whose base SKUs is on the enrollment: in
// any of the sets given (subscribed, or in the same order). A base SKU never lacks one. The rule
// applies to every way a SKU is bought: orders (ValidateOrder), reservations and direct (MOSP)
// purchases, whose base must be subscribed on the account they land on (AddOnMissingBase).
func AddOnWithoutBase(kind SKUKind, bases []string, onEnrollment ...map[string]bool) bool {
	if kind != KindAddOn {
		return false
	}
	return !slices.ContainsFunc(bases, func(b string) bool {
		return slices.ContainsFunc(onEnrollment, func(set map[string]bool) bool { return set[b] })
	})
}

// OrderFingerprint is a digest of an order's content, which DecideIdempotency compares: enrollment,
// dates, move flag and lines sorted by SKU, but not the idempotency key. Line order does not
// matter.
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

// R-ORD-2: DecideIdempotency compares the fingerprint (OrderFingerprint) of the order already
// stored under the caller's idempotency key (empty: none yet, so create it) with the new one:
// the same content reuses the first order; different content is refused. The store's unique
// index on the key makes concurrent retries with one key create one order.
func DecideIdempotency(existingFingerprint, newFingerprint string) (reuse bool, p *Problem) {
	switch existingFingerprint {
	case "":
		return false, nil
	case newFingerprint:
		return true, nil
	}
	return false, refusal(CodeIdempotencyKeyReused, "this idempotency key was already used for an order with different content; use a new key for a new order", "idempotencyKey")
}

// CanProcessOrder: only a PLACED order is processed (the lifecycle of ValidateOrder). Input {"order"}.
func CanProcessOrder(s OrderStatus) *Problem { return orderMustBePlaced(s, "processed") }

// CanCancelOrder: only a PLACED order is cancelled (the lifecycle of ValidateOrder). Input {"order"}.
func CanCancelOrder(s OrderStatus) *Problem { return orderMustBePlaced(s, "cancelled") }

func orderMustBePlaced(s OrderStatus, verb string) *Problem {
	if s == OrderPlaced {
		return nil
	}
	return refusal(CodeOrderNotPlaced, fmt.Sprintf("only a PLACED order can be %s; this one is %s", verb, orDash(string(s))), "order")
}

// OrderPendingPeriod is how long a processed order's licenses show as pending (R-ORD-5).
const OrderPendingPeriod = 12 * time.Hour

// R-ORD-5: PendingUntil is when the licenses of an order processed at processedAt become
// available: 12 hours later (OrderPendingPeriod). Until then they are not yet on the account:
// they cannot be assigned, and every view (subscriptions, account licenses, conflicts,
// summaries) reports them as pending, separately from licensed (QuantityChange.AvailableAt,
// PendingAdded, PendingPart, LicensedQuantityAt).
func PendingUntil(processedAt time.Time) time.Time { return processedAt.Add(OrderPendingPeriod) }

// LinePending tells whether a line processed at processedAt is still pending as of asOf
// (PendingUntil); at exactly 12 hours it is available.
func LinePending(processedAt, asOf time.Time) bool {
	return asOf.Before(PendingUntil(processedAt))
}

// QuantityChange is one change of a subscription's quantity, as far as pending goes: what it
// added, when it took effect, and whether a processed order made it.
type QuantityChange struct {
	Delta       int
	EffectiveAt time.Time // an order's: its processing
	FromOrder   bool
}

// AvailableAt is when the licenses a change adds are on the account: an order's 12 hours after
// processing (PendingUntil); any other change's when it takes effect (a renewal's at the start
// of the new term, R-SUB-3).
func (c QuantityChange) AvailableAt() time.Time {
	if c.FromOrder {
		return PendingUntil(c.EffectiveAt)
	}
	return c.EffectiveAt
}

// PendingAdded sums the licenses that changes added and that are not available as of asOf
// (AvailableAt); PendingPart caps the sum at the subscription's total.
func PendingAdded(changes []QuantityChange, asOf time.Time) int {
	n := 0
	for _, c := range changes {
		if c.Delta > 0 && asOf.Before(c.AvailableAt()) {
			n += c.Delta
		}
	}
	return n
}

// CheckEnrollmentOpen refuses adding licenses to an enrollment that is not ACTIVE or whose term
// ended before the day (R-ORD-1, applied to reservations too: R-RES-1 adds licenses at once).
// Input {"enrollment"}.
func CheckEnrollmentOpen(status EnrollmentStatus, end Date, number string, day Date) *Problem {
	if status != EnrollmentActive {
		return refusal(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s is %s; licenses are added to ACTIVE enrollments only", number, orDash(string(status))), "enrollment")
	}
	if !end.IsZero() && day.After(end) {
		return refusal(CodeEnrollmentNotActive, fmt.Sprintf("enrollment %s ended on %s", number, end), "enrollment")
	}
	return nil
}
