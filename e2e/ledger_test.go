package e2e

// The licensing ledger end to end: orders (R-ORD), reservations (R-RES) and subscriptions
// (R-SUB), each rule proved by a subtest named by its ID, on every engine of the run.

import (
	"encoding/base64"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---- documents ----

const (
	ledgerUE       = `userErrors { field code message }`
	ledgerOrderSel = `id number status purchaseDate usageStartDate idempotencyKey createdAt processedAt availableAt cancelledAt
		enrollment { number } lines { sku { code } quantity } movesFromSubscription { id }`
	ledgerResSel = `id status quantity contactEmail reservedAt processedAt billingDate overdueAt idempotencyKey sku { code } enrollment { number }`
	ledgerSubSel = `id sku { code } program status quantity pendingQuantity licensedQuantity endDate autoRenew cancelledAt asOf`

	ledgerCreateOrderDoc  = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { ` + ledgerOrderSel + ` } ` + ledgerUE + ` } }`
	ledgerProcessOrderDoc = `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { ` + ledgerOrderSel + ` } ` + ledgerUE + ` } }`
	ledgerCancelOrderDoc  = `mutation($id: ID!) { cancelOrder(input: {orderId: $id}) { order { ` + ledgerOrderSel + ` } ` + ledgerUE + ` } }`
	ledgerOrderByNumber   = `query($n: String!) { order(number: $n) { ` + ledgerOrderSel + ` } }`
	ledgerOrdersDoc       = `query($f: OrderFilter) { orders(filter: $f, first: 100) { totalCount edges { node { id status } } } }`

	ledgerCreateResDoc  = `mutation($in: CreateReservationInput!) { createReservation(input: $in) { reservation { ` + ledgerResSel + ` } ` + ledgerUE + ` } }`
	ledgerProcessResDoc = `mutation($id: ID!) { processReservation(input: {reservationId: $id}) { reservation { ` + ledgerResSel + ` } ` + ledgerUE + ` } }`
	ledgerResListDoc    = `query($f: ReservationFilter, $at: DateTime) { reservations(filter: $f, first: 100) { totalCount edges { node { id status overdue(asOf: $at) } } } }`
	ledgerGrantDoc      = `mutation($n: String!, $a: String!) { grantReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $a}) { enrollment { number osmCanManageReservations } ` + ledgerUE + ` } }`
	ledgerRevokeDoc     = `mutation($n: String!, $a: String!) { revokeReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $a}) { enrollment { number osmCanManageReservations } ` + ledgerUE + ` } }`
	ledgerOSMCanDoc     = `query($n: String!) { enrollment(number: $n) { osmCanManageReservations } }`

	ledgerSetQtyDoc    = `mutation($id: ID!, $q: Int!) { setSubscriptionQuantity(input: {subscriptionId: $id, quantity: $q}) { subscription { ` + ledgerSubSel + ` } ` + ledgerUE + ` } }`
	ledgerAutoRenewDoc = `mutation($id: ID!, $on: Boolean!) { setAutoRenew(input: {subscriptionId: $id, autoRenew: $on}) { subscription { ` + ledgerSubSel + ` } ` + ledgerUE + ` } }`
	ledgerRenewDoc     = `mutation($id: ID!) { renewSubscription(input: {subscriptionId: $id}) { subscription { ` + ledgerSubSel + ` } ` + ledgerUE + ` } }`
	ledgerCancelSubDoc = `mutation($id: ID!) { cancelSubscription(input: {subscriptionId: $id}) { subscription { ` + ledgerSubSel + ` } ` + ledgerUE + ` } }`
	ledgerDirectDoc    = `mutation($in: CreateDirectSubscriptionInput!) { createDirectSubscription(input: $in) { subscription { ` + ledgerSubSel + ` } ` + ledgerUE + ` } }`
	ledgerEnrSubsDoc   = `query($n: String!, $at: DateTime) { enrollment(number: $n) { subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + ledgerSubSel + ` } } } } }`
	ledgerAccSubsDoc   = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { subscriptions(asOf: $at, first: 100) { totalCount edges { node { ` + ledgerSubSel + ` } } } } } }`
)

// ledgerT0 is the clock newEnv starts with.
var ledgerT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// ---- helpers (ledger prefix: the e2e package is shared) ----

// ledgerCase runs fn as a named subtest on every engine, each with a fresh env.
func ledgerCase(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { each(t, fn) })
}

// ledgerLines builds order lines from sku, quantity pairs.
func ledgerLines(pairs ...any) []any {
	out := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return out
}

// ledgerOrderIn is a createOrder input purchased and usable on ledgerT0's day.
func ledgerOrderIn(enrollment, key string, lines []any) map[string]any {
	return map[string]any{"enrollmentNumber": enrollment, "lines": lines, "purchaseDate": "2026-11-23",
		"usageStartDate": "2026-11-23", "idempotencyKey": key}
}

func ledgerIn(in map[string]any) map[string]any { return map[string]any{"in": in} }

func ledgerAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func ledgerTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a DateTime: %#v", v)
	}
	return at
}

func ledgerGlobalID(typ string, id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.Itoa(id)))
}

// ledgerOrder creates an order that must be accepted and returns it.
func (e *env) ledgerOrder(key string, in map[string]any) map[string]any {
	e.t.Helper()
	p := e.mutate(key, ledgerCreateOrderDoc, ledgerIn(in))
	o, _ := p["order"].(map[string]any)
	if o == nil || str(o, "id") == "" {
		e.t.Fatalf("createOrder returned no order: %v", p)
	}
	return o
}

// ledgerPlace places an order of sku, quantity pairs on an enrollment.
func (e *env) ledgerPlace(key, enrollment, idem string, pairs ...any) map[string]any {
	e.t.Helper()
	return e.ledgerOrder(key, ledgerOrderIn(enrollment, idem, ledgerLines(pairs...)))
}

// ledgerProcess processes an order with the operator key (at the server clock).
func (e *env) ledgerProcess(orderID string) map[string]any {
	e.t.Helper()
	p := e.mutate(e.Operator, ledgerProcessOrderDoc, map[string]any{"id": orderID})
	return p["order"].(map[string]any)
}

// ledgerBuy places and processes an order.
func (e *env) ledgerBuy(key, enrollment, idem string, pairs ...any) map[string]any {
	e.t.Helper()
	return e.ledgerProcess(str(e.ledgerPlace(key, enrollment, idem, pairs...), "id"))
}

// ledgerRefused runs a mutation that must be refused: its object (objField) must be null; it
// returns the userErrors.
func (e *env) ledgerRefused(key, doc string, vars map[string]any, objField string) []userError {
	e.t.Helper()
	data := e.ok(key, doc, vars)
	for name, v := range data {
		payload, _ := v.(map[string]any)
		if payload[objField] != nil {
			// Not fatal: the test goes on to check the refusal itself.
			e.t.Errorf("%s: a refused payload must carry no %s (schema: \"or null when refused\"), got %v", name, objField, payload[objField])
		}
	}
	return e.refused(key, doc, vars)
}

// ledgerOnly asserts ue is exactly one error of code on field (dot-joined).
func ledgerOnly(t testing.TB, ue []userError, code, field string) {
	t.Helper()
	hasUserError(t, ue, code, field)
	if len(ue) != 1 {
		t.Fatalf("want only %s on %q, got %+v", code, field, ue)
	}
}

// ledgerSubs returns an enrollment's subscriptions by SKU code as of at (zero: no asOf).
func (e *env) ledgerSubs(key, enrollment string, at time.Time) (map[string]map[string]any, int) {
	e.t.Helper()
	vars := map[string]any{"n": enrollment, "at": nil}
	if !at.IsZero() {
		vars["at"] = ledgerAt(at)
	}
	d := e.ok(key, ledgerEnrSubsDoc, vars)
	return ledgerBySKU(e.t, get(d, "enrollment", "subscriptions"))
}

// ledgerSubsAt is ledgerSubs without the count.
func (e *env) ledgerSubsAt(key, enrollment string, at time.Time) map[string]map[string]any {
	e.t.Helper()
	subs, _ := e.ledgerSubs(key, enrollment, at)
	return subs
}

// ledgerAccountSubs returns an account's subscriptions by SKU code as of at.
func (e *env) ledgerAccountSubs(key, accountID string, at time.Time) (map[string]map[string]any, int) {
	e.t.Helper()
	vars := map[string]any{"id": accountID, "at": nil}
	if !at.IsZero() {
		vars["at"] = ledgerAt(at)
	}
	d := e.ok(key, ledgerAccSubsDoc, vars)
	return ledgerBySKU(e.t, get(d, "node", "subscriptions"))
}

func ledgerBySKU(t testing.TB, conn any) (map[string]map[string]any, int) {
	t.Helper()
	out := map[string]map[string]any{}
	edges, _ := get(conn, "edges").([]any)
	for _, edge := range edges {
		n := get(edge, "node").(map[string]any)
		code := str(n, "sku", "code")
		if _, dup := out[code]; dup {
			t.Fatalf("two subscriptions of %s in one list: %v", code, edges)
		}
		out[code] = n
	}
	if num(conn, "totalCount") != len(edges) {
		t.Fatalf("totalCount %d but %d edges", num(conn, "totalCount"), len(edges))
	}
	return out, len(edges)
}

// ledgerWantSub asserts a subscription's status and quantities.
func ledgerWantSub(t testing.TB, sub map[string]any, status string, quantity, pending, licensed int) {
	t.Helper()
	if sub == nil {
		t.Fatalf("no subscription, want %s %d/%d/%d", status, quantity, pending, licensed)
	}
	got := []any{str(sub, "status"), num(sub, "quantity"), num(sub, "pendingQuantity"), num(sub, "licensedQuantity")}
	want := []any{status, quantity, pending, licensed}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s (asOf %s): status/quantity/pending/licensed = %v, want %v", str(sub, "sku", "code"), str(sub, "asOf"), got, want)
	}
}

// ledgerCount returns a list's totalCount as key sees it.
func (e *env) ledgerCount(key, doc, list string, vars map[string]any) int {
	e.t.Helper()
	return num(e.ok(key, doc, vars), list, "totalCount")
}

func (e *env) ledgerOrdersTotal(key string) int {
	e.t.Helper()
	return e.ledgerCount(key, ledgerOrdersDoc, "orders", map[string]any{"f": nil})
}

func ledgerResIn(enrollment, sku string, qty int, contact, key string) map[string]any {
	return map[string]any{"enrollmentNumber": enrollment, "sku": sku, "quantity": qty, "contactEmail": contact, "idempotencyKey": key}
}

// ledgerReserve makes a reservation that must be accepted.
func (e *env) ledgerReserve(key string, in map[string]any) map[string]any {
	e.t.Helper()
	p := e.mutate(key, ledgerCreateResDoc, ledgerIn(in))
	r, _ := p["reservation"].(map[string]any)
	if r == nil || str(r, "id") == "" {
		e.t.Fatalf("createReservation returned no reservation: %v", p)
	}
	return r
}

// ledgerEnrollment creates another enrollment under an agreement.
func (e *env) ledgerEnrollment(key, agreementID, number, osmEmail, start, end string) {
	e.t.Helper()
	e.mutate(key, `mutation($a: ID!, $n: String!, $o: String!, $s: Date!, $e: Date!) { createEnrollment(input: {agreementId: $a, number: $n,
		organizationName: "Fabrikam", osmName: "O", osmEmail: $o, startDate: $s, endDate: $e}) { enrollment { id } userErrors { field code message } } }`,
		map[string]any{"a": agreementID, "n": number, "o": osmEmail, "s": start, "e": end})
}

// ledgerDirect records a direct (MOSP) purchase on an account.
func (e *env) ledgerDirect(key, accountID, sku string, qty int, end string, autoRenew bool) map[string]any {
	e.t.Helper()
	p := e.mutate(key, ledgerDirectDoc, ledgerIn(map[string]any{"accountId": accountID, "sku": sku, "quantity": qty, "endDate": end, "autoRenew": autoRenew}))
	return p["subscription"].(map[string]any)
}

// ---- R-ORD ----

func TestLedgerOrders(t *testing.T) {
	ledgerCase(t, "R-ORD-1_refused_order_writes_nothing", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		cases := []struct {
			name, code, field string
			in                map[string]any
		}{
			{"quantity 0", "INVALID_QUANTITY", "lines.0.quantity", ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 0))},
			{"negative quantity on line 1", "INVALID_QUANTITY", "lines.1.quantity", ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 5, "O365-E5", -1))},
			{"quantity over 1,000,000", "INVALID_QUANTITY", "lines.0.quantity", ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 1_000_001))},
			{"unknown SKU", "UNKNOWN_SKU", "lines.0.sku", ledgerOrderIn("ENR-1", "k1", ledgerLines("NOPE-1", 5))},
			{"no lines", "REQUIRED", "lines", ledgerOrderIn("ENR-1", "k1", ledgerLines())},
			{"duplicate SKU", "DUPLICATE_LINE", "lines.1.sku", ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 5, "O365-E3", 2))},
			{"unknown enrollment", "NOT_FOUND", "enrollmentNumber", ledgerOrderIn("ENR-404", "k1", ledgerLines("O365-E3", 5))},
			{"no idempotency key", "REQUIRED", "idempotencyKey", ledgerOrderIn("ENR-1", " ", ledgerLines("O365-E3", 5))},
		}
		for _, c := range cases {
			ue := e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(c.in), "order")
			if len(ue) != 1 || ue[0].Code != c.code || strings.Join(ue[0].Field, ".") != c.field {
				t.Fatalf("%s: want only %s on %q, got %+v", c.name, c.code, c.field, ue)
			}
		}
		// Usage start before the purchase date.
		in := ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 5))
		in["usageStartDate"] = "2026-11-22"
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(in), "order"), "INVALID", "usageStartDate")
		// Outside the enrollment's term (it ends 2028-12-31): not an active enrollment then.
		in = ledgerOrderIn("ENR-1", "k1", ledgerLines("O365-E3", 5))
		in["purchaseDate"], in["usageStartDate"] = "2029-01-01", "2029-01-01"
		hasUserError(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(in), "order"), "ENROLLMENT_NOT_ACTIVE", "purchaseDate")

		if n := e.ledgerOrdersTotal(w.Key); n != 0 {
			t.Fatalf("refused orders wrote %d orders", n)
		}
		// Nothing was written: key k1 was never taken, so it places a new order with other content.
		o := e.ledgerPlace(w.Key, "ENR-1", "k1", "O365-E3", 7)
		if str(o, "status") != "PLACED" || num(o, "lines", 0, "quantity") != 7 || len(get(o, "lines").([]any)) != 1 {
			t.Fatalf("order after refusals: %v", o)
		}
		if n := e.ledgerOrdersTotal(w.Key); n != 1 {
			t.Fatalf("orders totalCount %d, want 1", n)
		}
	})

	ledgerCase(t, "R-ORD-1_purchase_before_the_enrollment_starts_is_outside_its_term", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1") // the enrollment runs 2026-01-01..2028-12-31
		in := ledgerOrderIn("ENR-1", "early", ledgerLines("O365-E3", 5))
		in["purchaseDate"], in["usageStartDate"] = "2025-06-01", "2026-01-01"
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(in), "order"), "ENROLLMENT_NOT_ACTIVE", "purchaseDate")
		if n := e.ledgerOrdersTotal(w.Key); n != 0 {
			t.Fatalf("orders totalCount %d, want 0", n)
		}
	})

	ledgerCase(t, "R-ORD-1_only_processed_order_adds_quantities", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		far := ledgerT0.AddDate(1, 0, 0)
		a := e.ledgerPlace(w.Key, "ENR-1", "a", "O365-E3", 10)
		b := e.ledgerPlace(w.Key, "ENR-1", "b", "O365-E3", 7)
		c := e.ledgerPlace(w.Key, "ENR-1", "c", "O365-E3", 5, "INTUNE", 3)
		for _, o := range []map[string]any{a, b, c} {
			if str(o, "status") != "PLACED" || o["processedAt"] != nil || o["availableAt"] != nil || o["cancelledAt"] != nil {
				t.Fatalf("new order: %v", o)
			}
		}
		if _, n := e.ledgerSubs(w.Key, "ENR-1", far); n != 0 {
			t.Fatalf("PLACED orders created %d subscriptions", n)
		}

		// Cancelling a PLACED order adds nothing.
		cb := e.mutate(w.Key, ledgerCancelOrderDoc, map[string]any{"id": str(b, "id")})
		if str(cb, "order", "status") != "CANCELLED" || !ledgerTime(t, get(cb, "order", "cancelledAt")).Equal(ledgerT0) {
			t.Fatalf("cancelled order: %v", cb)
		}
		if _, n := e.ledgerSubs(w.Key, "ENR-1", far); n != 0 {
			t.Fatalf("a CANCELLED order created %d subscriptions", n)
		}

		// processOrder is an operator action: a RESELLER key gets FORBIDDEN and changes nothing.
		r := e.do(w.Key, ledgerProcessOrderDoc, map[string]any{"id": str(a, "id")})
		if r.errCode() != "FORBIDDEN" || get(r.Data, "processOrder") != nil {
			t.Fatalf("processOrder by a RESELLER key: want FORBIDDEN, got %s", r.Raw)
		}
		if r := e.do(e.readerKey(w.ResellerID), ledgerProcessOrderDoc, map[string]any{"id": str(a, "id")}); r.errCode() != "FORBIDDEN" {
			t.Fatalf("processOrder by a READER key: want FORBIDDEN, got %s", r.Raw)
		}
		if st := str(e.ok(w.Key, ledgerOrderByNumber, map[string]any{"n": str(a, "number")}), "order", "status"); st != "PLACED" {
			t.Fatalf("order after a forbidden processOrder: %s", st)
		}

		pa := e.ledgerProcess(str(a, "id"))
		if str(pa, "status") != "PROCESSED" || !ledgerTime(t, pa["processedAt"]).Equal(ledgerT0) {
			t.Fatalf("processed order: %v", pa)
		}
		subs, n := e.ledgerSubs(w.Key, "ENR-1", far)
		if n != 1 {
			t.Fatalf("want only the O365-E3 subscription, got %v", subs)
		}
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10) // b cancelled, c placed: only a's 10

		// Only a PLACED order can be processed or cancelled.
		ledgerOnly(t, e.ledgerRefused(e.Operator, ledgerProcessOrderDoc, map[string]any{"id": str(a, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCancelOrderDoc, map[string]any{"id": str(a, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		ledgerOnly(t, e.ledgerRefused(e.Operator, ledgerProcessOrderDoc, map[string]any{"id": str(b, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCancelOrderDoc, map[string]any{"id": str(b, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", far)
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)

		got := map[string]string{}
		for _, o := range []map[string]any{a, b, c} {
			got[str(o, "idempotencyKey")] = str(e.ok(w.Key, ledgerOrderByNumber, map[string]any{"n": str(o, "number")}), "order", "status")
		}
		if want := map[string]string{"a": "PROCESSED", "b": "CANCELLED", "c": "PLACED"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("statuses %v, want %v", got, want)
		}
		if n := e.ledgerCount(w.Key, ledgerOrdersDoc, "orders", map[string]any{"f": map[string]any{"status": "PLACED"}}); n != 1 {
			t.Fatalf("orders(status: PLACED) totalCount %d, want 1", n)
		}
	})

	ledgerCase(t, "R-ORD-2_idempotency_key", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		in := ledgerOrderIn("ENR-1", "idem-1", ledgerLines("O365-E3", 10, "INTUNE", 4))
		first := e.ledgerOrder(w.Key, in)
		for i := 0; i < 2; i++ {
			if again := e.ledgerOrder(w.Key, in); str(again, "id") != str(first, "id") || str(again, "number") != str(first, "number") {
				t.Fatalf("retry %d returned another order: %v vs %v", i, again, first)
			}
		}
		// Line order is not content.
		swapped := ledgerOrderIn("ENR-1", "idem-1", ledgerLines("INTUNE", 4, "O365-E3", 10))
		if again := e.ledgerOrder(w.Key, swapped); str(again, "id") != str(first, "id") {
			t.Fatalf("the same lines in another order made another order: %v", again)
		}
		// Different content under the key is refused, whatever differs.
		for name, other := range map[string]map[string]any{
			"quantity":    ledgerOrderIn("ENR-1", "idem-1", ledgerLines("O365-E3", 11, "INTUNE", 4)),
			"fewer lines": ledgerOrderIn("ENR-1", "idem-1", ledgerLines("O365-E3", 10)),
			"sku":         ledgerOrderIn("ENR-1", "idem-1", ledgerLines("O365-E5", 10, "INTUNE", 4)),
		} {
			ue := e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(other), "order")
			if len(ue) != 1 || ue[0].Code != "IDEMPOTENCY_KEY_REUSED" || strings.Join(ue[0].Field, ".") != "idempotencyKey" {
				t.Fatalf("%s: want IDEMPOTENCY_KEY_REUSED on idempotencyKey, got %+v", name, ue)
			}
		}
		later := ledgerOrderIn("ENR-1", "idem-1", ledgerLines("O365-E3", 10, "INTUNE", 4))
		later["purchaseDate"], later["usageStartDate"] = "2026-11-24", "2026-11-24"
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(later), "order"), "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		if n := e.ledgerOrdersTotal(w.Key); n != 1 {
			t.Fatalf("orders totalCount %d, want 1", n)
		}

		// A retry after processing still returns the first order and adds nothing.
		e.ledgerProcess(str(first, "id"))
		again := e.ledgerOrder(w.Key, in)
		if str(again, "id") != str(first, "id") || str(again, "status") != "PROCESSED" {
			t.Fatalf("retry after processing: %v", again)
		}
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(24*time.Hour))
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)
		// A new key with the same content is a new order.
		if other := e.ledgerOrder(w.Key, ledgerOrderIn("ENR-1", "idem-2", ledgerLines("O365-E3", 10, "INTUNE", 4))); str(other, "id") == str(first, "id") {
			t.Fatalf("a new key returned the first order")
		}
		if n := e.ledgerOrdersTotal(w.Key); n != 2 {
			t.Fatalf("orders totalCount %d, want 2", n)
		}
	})

	ledgerCase(t, "R-ORD-3_addon_needs_base", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		addOnAlone := ledgerOrderIn("ENR-1", "addon", ledgerLines("D365-ADD-STORAGE", 5))
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(addOnAlone), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
		// The add-on's line is named, not the base's.
		mixed := ledgerOrderIn("ENR-1", "mixed", ledgerLines("O365-E3", 5, "D365-ADD-INSTANCE", 1))
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(mixed), "order"), "ADDON_REQUIRES_BASE", "lines.1.sku")

		// With its base in the same order (any line order) it is accepted.
		both := e.ledgerPlace(w.Key, "ENR-1", "both", "D365-ADD-STORAGE", 5, "D365-SALES-PRO", 10)
		// A base that is only PLACED is not on the enrollment yet.
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(addOnAlone), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
		// Once processed, the base is subscribed: the add-on alone is accepted.
		e.ledgerProcess(str(both, "id"))
		if o := e.ledgerOrder(w.Key, addOnAlone); str(o, "status") != "PLACED" {
			t.Fatalf("add-on after its base: %v", o)
		}
		// The base on another enrollment (same agreement) does not count.
		e.ledgerEnrollment(w.Key, w.AgreementID, "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		other := ledgerOrderIn("ENR-2", "addon-2", ledgerLines("D365-ADD-STORAGE", 5))
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(other), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
	})

	ledgerCase(t, "R-ORD-3_cancelled_base_does_not_count", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-1")
		e.ledgerBuy(w.Key, "OV-1", "base", "D365-SALES-PRO", 5)
		addOn := ledgerOrderIn("OV-1", "addon", ledgerLines("D365-ADD-STORAGE", 5))
		if o := e.ledgerOrder(w.Key, addOn); str(o, "status") != "PLACED" {
			t.Fatalf("add-on with its base subscribed: %v", o)
		}
		subs, _ := e.ledgerSubs(w.Key, "OV-1", time.Time{})
		e.mutate(w.Key, ledgerCancelSubDoc, map[string]any{"id": str(subs["D365-SALES-PRO"], "id")})
		again := ledgerOrderIn("OV-1", "addon-2", ledgerLines("D365-ADD-STORAGE", 5))
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(again), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
	})

	ledgerCase(t, "R-ORD-4_move_from_direct_orders_at_least_its_holdings", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		pro := e.ledgerDirect(w.Key, w.AccountID, "D365-SALES-PRO", 50, "2027-11-22", true)
		e.ledgerDirect(w.Key, w.AccountID, "D365-ADD-INSTANCE", 3, "2027-11-22", true)
		e.ledgerDirect(w.Key, w.AccountID, "D365-ADD-STORAGE", 5, "2027-11-22", true)
		if str(pro, "program") != "MOSP" || num(pro, "quantity") != 50 {
			t.Fatalf("direct subscription: %v", pro)
		}
		move := func(key string, pairs ...any) map[string]any {
			in := ledgerOrderIn("ENR-1", key, ledgerLines(pairs...))
			in["movesFromSubscriptionId"] = str(pro, "id")
			return in
		}
		shortfall := func(ue []userError, sku string, short int) {
			t.Helper()
			ledgerOnly(t, ue, "MIGRATION_QUANTITY_TOO_LOW", "lines")
			if !regexp.MustCompile(regexp.QuoteMeta(sku) + `\D[^;]*\b` + strconv.Itoa(short) + `\b`).MatchString(ue[0].Message) {
				t.Fatalf("message should name %s and its shortfall %d: %q", sku, short, ue[0].Message)
			}
		}
		ue := e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(move("m1", "D365-SALES-PRO", 50, "D365-ADD-INSTANCE", 1, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-ADD-INSTANCE", 2)
		for _, ok := range []string{"D365-SALES-PRO", "D365-ADD-STORAGE"} {
			if strings.Contains(ue[0].Message, ok) {
				t.Fatalf("message names %s, which is not short: %q", ok, ue[0].Message)
			}
		}
		// A SKU left out entirely is short by all it holds.
		ue = e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(move("m2", "D365-SALES-PRO", 50, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-ADD-INSTANCE", 3)
		ue = e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(move("m3", "D365-SALES-PRO", 40, "D365-ADD-INSTANCE", 3, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-SALES-PRO", 10)
		if n := e.ledgerOrdersTotal(w.Key); n != 0 {
			t.Fatalf("refused moves wrote %d orders", n)
		}

		o := e.ledgerOrder(w.Key, move("m4", "D365-SALES-PRO", 50, "D365-ADD-INSTANCE", 3, "D365-ADD-STORAGE", 5))
		if str(o, "movesFromSubscription", "id") != str(pro, "id") {
			t.Fatalf("order.movesFromSubscription = %v, want %s", o["movesFromSubscription"], str(pro, "id"))
		}
		e.ledgerProcess(str(o, "id"))
		// The move adds licenses; the direct subscriptions stay.
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(13*time.Hour))
		ledgerWantSub(t, subs["D365-SALES-PRO"], "ACTIVE", 50, 0, 50)
		ledgerWantSub(t, subs["D365-ADD-INSTANCE"], "ACTIVE", 3, 0, 3)
		ledgerWantSub(t, subs["D365-ADD-STORAGE"], "ACTIVE", 5, 0, 5)
		direct, n := e.ledgerAccountSubs(w.Key, w.AccountID, ledgerT0.Add(13*time.Hour))
		if n != 3 {
			t.Fatalf("account subscriptions: %v", direct)
		}
		for sku, q := range map[string]int{"D365-SALES-PRO": 50, "D365-ADD-INSTANCE": 3, "D365-ADD-STORAGE": 5} {
			ledgerWantSub(t, direct[sku], "ACTIVE", q, 0, q)
			if direct[sku]["cancelledAt"] != nil || str(direct[sku], "program") != "MOSP" {
				t.Fatalf("direct %s after the move: %v", sku, direct[sku])
			}
		}
		// movesFromSubscriptionId must name a direct subscription, not an enrollment's.
		bad := ledgerOrderIn("ENR-1", "m5", ledgerLines("O365-E3", 1))
		bad["movesFromSubscriptionId"] = str(subs["D365-SALES-PRO"], "id")
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateOrderDoc, ledgerIn(bad), "order"), "NOT_FOUND", "movesFromSubscriptionId")
	})

	ledgerCase(t, "R-ORD-5_pending_for_12_hours", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		o := e.ledgerPlace(w.Key, "ENR-1", "o1", "O365-E3", 25)
		T := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
		e.SetNow(T)
		p := e.ledgerProcess(str(o, "id"))
		if !ledgerTime(t, p["processedAt"]).Equal(T) || !ledgerTime(t, p["availableAt"]).Equal(T.Add(12*time.Hour)) {
			t.Fatalf("processedAt %v availableAt %v, want %s and %s", p["processedAt"], p["availableAt"], T, T.Add(12*time.Hour))
		}
		if q := e.ok(w.Key, ledgerOrderByNumber, map[string]any{"n": str(o, "number")}); !ledgerTime(t, get(q, "order", "availableAt")).Equal(T.Add(12 * time.Hour)) {
			t.Fatalf("order(number:).availableAt: %v", get(q, "order", "availableAt"))
		}
		at := func(d time.Duration) map[string]any {
			subs, _ := e.ledgerSubs(w.Key, "ENR-1", T.Add(d))
			return subs["O365-E3"]
		}
		ledgerWantSub(t, at(time.Hour), "ACTIVE", 25, 25, 0)
		ledgerWantSub(t, at(12*time.Hour-time.Second), "ACTIVE", 25, 25, 0)
		ledgerWantSub(t, at(12*time.Hour), "ACTIVE", 25, 0, 25)
		ledgerWantSub(t, at(-time.Second), "ACTIVE", 0, 0, 0) // before processing nothing was there
		// Without asOf the server clock decides.
		e.SetNow(T.Add(2 * time.Hour))
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 25, 25, 0)

		// Each order is pending for its own 12 hours.
		e.SetNow(T.Add(6 * time.Hour))
		e.ledgerBuy(w.Key, "ENR-1", "o2", "O365-E3", 5)
		ledgerWantSub(t, at(13*time.Hour), "ACTIVE", 30, 5, 25)
		ledgerWantSub(t, at(18*time.Hour), "ACTIVE", 30, 0, 30)
	})

	ledgerCase(t, "R-ORD-5_pending_never_exceeds_the_quantity", func(t *testing.T, e *env) {
		// 100 processed (pending until T+12h), then the total is set to 50 (R-SUB-7) at once.
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.ledgerBuy(w.Key, "ENR-1", "o1", "O365-E3", 100)
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		p := e.mutate(w.Key, ledgerSetQtyDoc, map[string]any{"id": str(subs["O365-E3"], "id"), "q": 50})
		for _, sub := range []map[string]any{p["subscription"].(map[string]any), e.ledgerSubsAt(w.Key, "ENR-1", ledgerT0.Add(time.Hour))["O365-E3"]} {
			q, pending, licensed := num(sub, "quantity"), num(sub, "pendingQuantity"), num(sub, "licensedQuantity")
			if q != 50 || pending < 0 || pending > q || licensed < 0 || licensed+pending != q {
				t.Errorf("asOf %s: quantity %d pending %d licensed %d; want quantity 50, 0 <= pending <= quantity, licensed = quantity - pending >= 0",
					str(sub, "asOf"), q, pending, licensed)
			}
		}
		ledgerWantSub(t, e.ledgerSubsAt(w.Key, "ENR-1", ledgerT0.Add(12*time.Hour))["O365-E3"], "ACTIVE", 50, 0, 50)
	})
}

// ---- R-RES ----

func TestLedgerReservations(t *testing.T) {
	ledgerCase(t, "R-RES-1_added_at_once_billed_at_next_anniversary", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		r1 := e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 15, "vic@fabrikam.com", "r1"))
		if str(r1, "billingDate") != "2027-01-01" || str(r1, "status") != "PENDING" || !ledgerTime(t, r1["reservedAt"]).Equal(ledgerT0) || num(r1, "quantity") != 15 {
			t.Fatalf("reservation in 2026: %v", r1)
		}
		// Added at once: licensed now, not pending, before any processing.
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 15, 0, 15)
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(-time.Second))
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 0, 0, 0)

		e.SetNow(time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
		r2 := e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 8, "vic@fabrikam.com", "r2"))
		if str(r2, "billingDate") != "2028-01-01" {
			t.Fatalf("reservation after the 2027 anniversary: billingDate %s, want 2028-01-01", str(r2, "billingDate"))
		}
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 23, 0, 23)

		notBilled := func(at string) []string {
			d := e.ok(w.Key, ledgerResListDoc, map[string]any{"f": map[string]any{"notBilledAsOf": at}, "at": nil})
			var ids []string
			for _, edge := range get(d, "reservations", "edges").([]any) {
				ids = append(ids, str(edge, "node", "id"))
			}
			sort.Strings(ids)
			return ids
		}
		both := []string{str(r1, "id"), str(r2, "id")}
		sort.Strings(both)
		if got := notBilled("2026-12-31T23:59:59Z"); !reflect.DeepEqual(got, both) {
			t.Fatalf("not billed as of 2026-12-31: %v, want %v", got, both)
		}
		if got := notBilled("2027-01-01T00:00:00Z"); !reflect.DeepEqual(got, []string{str(r2, "id")}) {
			t.Fatalf("not billed as of 2027-01-01 (r1 billed that day): %v, want only r2", got)
		}
		if got := notBilled("2028-01-01T00:00:00Z"); len(got) != 0 {
			t.Fatalf("not billed as of 2028-01-01: %v, want none", got)
		}
	})

	ledgerCase(t, "R-RES-1_refused_reservation_writes_nothing", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for _, c := range []struct {
			code, field string
			in          map[string]any
		}{
			{"INVALID_QUANTITY", "quantity", ledgerResIn("ENR-1", "O365-E3", 0, "vic@fabrikam.com", "k")},
			{"INVALID_QUANTITY", "quantity", ledgerResIn("ENR-1", "O365-E3", 1_000_001, "vic@fabrikam.com", "k")},
			{"UNKNOWN_SKU", "sku", ledgerResIn("ENR-1", "NOPE-1", 5, "vic@fabrikam.com", "k")},
			{"NOT_FOUND", "enrollmentNumber", ledgerResIn("ENR-404", "O365-E3", 5, "vic@fabrikam.com", "k")},
			{"REQUIRED", "idempotencyKey", ledgerResIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", " ")},
		} {
			ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(c.in), "reservation"), c.code, c.field)
		}
		if n := e.ledgerCount(w.Key, ledgerResListDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("refused reservations wrote %d", n)
		}
		if _, n := e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(time.Hour)); n != 0 {
			t.Fatalf("refused reservations created %d subscriptions", n)
		}
		// The key was not taken.
		e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "k"))
	})

	ledgerCase(t, "R-RES-1_enrollment_past_its_term_takes_no_reservation", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.SetNow(time.Date(2029, 2, 1, 9, 0, 0, 0, time.UTC)) // the enrollment ended 2028-12-31
		ue := e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "late")), "reservation")
		hasUserError(t, ue, "ENROLLMENT_NOT_ACTIVE", "enrollmentNumber")
	})

	ledgerCase(t, "R-RES-2_who_may_reserve", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		refused := func(email, key string) {
			t.Helper()
			ue := e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-1", "O365-E3", 5, email, key)), "reservation")
			ledgerOnly(t, ue, "NOT_PERMITTED", "contactEmail")
		}
		refused("olivia@fabrikam.com", "osm")    // the OSM, without MANAGE_RESERVATIONS
		refused("ana@fabrikam.com", "ana")       // an AGREEMENT_ADMINISTRATOR alone
		refused("mallory@fabrikam.com", "stray") // not a contact
		if _, n := e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(time.Hour)); n != 0 {
			t.Fatalf("refused reservations created %d subscriptions", n)
		}
		if n := e.ledgerCount(w.Key, ledgerResListDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("refused reservations wrote %d", n)
		}
		e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "vic")) // VLSC_ADMINISTRATOR

		e.mutate(w.Key, ledgerGrantDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		r := e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-granted"))
		if str(r, "contactEmail") != "olivia@fabrikam.com" {
			t.Fatalf("reservation by the OSM: %v", r)
		}

		// ONLINE_ADMINISTRATOR may reserve; roles are per agreement.
		a2 := e.mutate(w.Key, `mutation($c: ID!) { createAgreement(input: {customerId: $c, program: "ENTERPRISE", number: "EA-2",
			startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [{name: "Otto", email: "otto@fabrikam.com", roles: [ONLINE_ADMINISTRATOR]}]}) {
			agreement { id } userErrors { field code message } } }`, map[string]any{"c": w.CustomerID})
		e.ledgerEnrollment(w.Key, str(a2, "agreement", "id"), "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		e.ledgerReserve(w.Key, ledgerResIn("ENR-2", "O365-E3", 3, "otto@fabrikam.com", "otto"))
		ue := e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-2", "O365-E3", 3, "vic@fabrikam.com", "vic-2")), "reservation")
		ledgerOnly(t, ue, "NOT_PERMITTED", "contactEmail")

		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 7, 0, 7)
	})

	ledgerCase(t, "R-RES-3_only_agreement_admin_grants_per_enrollment", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.ledgerEnrollment(w.Key, w.AgreementID, "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		can := func(n string) bool {
			v, ok := get(e.ok(w.Key, ledgerOSMCanDoc, map[string]any{"n": n}), "enrollment", "osmCanManageReservations").(bool)
			if !ok {
				t.Fatalf("no osmCanManageReservations for %s", n)
			}
			return v
		}
		if can("ENR-1") || can("ENR-2") {
			t.Fatalf("an OSM holds MANAGE_RESERVATIONS by default")
		}
		for _, acting := range []string{"vic@fabrikam.com", "olivia@fabrikam.com", "mallory@fabrikam.com"} {
			ue := e.ledgerRefused(w.Key, ledgerGrantDoc, map[string]any{"n": "ENR-1", "a": acting}, "enrollment")
			ledgerOnly(t, ue, "NOT_PERMITTED", "actingContactEmail")
		}
		if can("ENR-1") {
			t.Fatalf("a refused grant granted")
		}
		g := e.mutate(w.Key, ledgerGrantDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		if get(g, "enrollment", "osmCanManageReservations") != true || str(g, "enrollment", "number") != "ENR-1" {
			t.Fatalf("grant payload: %v", g)
		}
		if !can("ENR-1") || can("ENR-2") {
			t.Fatalf("the grant is per enrollment: ENR-1 %v ENR-2 %v, want true false", can("ENR-1"), can("ENR-2"))
		}
		e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-1"))
		ue := e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-2", "O365-E3", 2, "olivia@fabrikam.com", "osm-2")), "reservation")
		ledgerOnly(t, ue, "NOT_PERMITTED", "contactEmail")

		// Revoking is the agreement administrator's too.
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerRevokeDoc, map[string]any{"n": "ENR-1", "a": "vic@fabrikam.com"}, "enrollment"), "NOT_PERMITTED", "actingContactEmail")
		if !can("ENR-1") {
			t.Fatalf("a refused revoke revoked")
		}
		rv := e.mutate(w.Key, ledgerRevokeDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		if get(rv, "enrollment", "osmCanManageReservations") != false || can("ENR-1") {
			t.Fatalf("after revoke: %v", rv)
		}
		ue = e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-3")), "reservation")
		ledgerOnly(t, ue, "NOT_PERMITTED", "contactEmail")
	})

	ledgerCase(t, "R-RES-4_pending_effective_overdue", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		T := ledgerT0
		r := e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 6, "vic@fabrikam.com", "rk"))
		if str(r, "status") != "PENDING" || r["processedAt"] != nil || !ledgerTime(t, r["overdueAt"]).Equal(T.Add(25*time.Hour)) {
			t.Fatalf("new reservation: %v", r)
		}
		overdue := func(at time.Time) bool {
			d := e.ok(w.Key, ledgerResListDoc, map[string]any{"f": nil, "at": ledgerAt(at)})
			v, ok := get(d, "reservations", "edges", 0, "node", "overdue").(bool)
			if !ok {
				t.Fatalf("no overdue in %v", d)
			}
			return v
		}
		listedOverdue := func(at time.Time) int {
			return e.ledgerCount(w.Key, ledgerResListDoc, "reservations", map[string]any{"f": map[string]any{"overdueAsOf": ledgerAt(at)}, "at": nil})
		}
		if overdue(T.Add(24*time.Hour+59*time.Minute)) || listedOverdue(T.Add(24*time.Hour+59*time.Minute)) != 0 {
			t.Fatalf("overdue before 25 hours")
		}
		if !overdue(T.Add(25*time.Hour)) || listedOverdue(T.Add(25*time.Hour)) != 1 {
			t.Fatalf("not overdue at 25 hours: overdue=%v listed=%d", overdue(T.Add(25*time.Hour)), listedOverdue(T.Add(25*time.Hour)))
		}

		// Idempotency: the same key and content return the same reservation and add once.
		again := e.ledgerReserve(w.Key, ledgerResIn("ENR-1", "O365-E3", 6, "vic@fabrikam.com", "rk"))
		if str(again, "id") != str(r, "id") {
			t.Fatalf("retry made another reservation: %v", again)
		}
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-1", "O365-E3", 7, "vic@fabrikam.com", "rk")), "reservation"),
			"IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 6, 0, 6)
		if n := e.ledgerCount(w.Key, ledgerResListDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 1 {
			t.Fatalf("reservations totalCount %d, want 1", n)
		}

		// Processing is an operator action.
		if rr := e.do(w.Key, ledgerProcessResDoc, map[string]any{"id": str(r, "id")}); rr.errCode() != "FORBIDDEN" {
			t.Fatalf("processReservation by a RESELLER key: %s", rr.Raw)
		}
		P := T.Add(26 * time.Hour)
		e.SetNow(P)
		if !overdue(P) {
			t.Fatalf("not overdue at +26h by the server clock")
		}
		pr := e.mutate(e.Operator, ledgerProcessResDoc, map[string]any{"id": str(r, "id")})
		if str(pr, "reservation", "status") != "EFFECTIVE" || !ledgerTime(t, get(pr, "reservation", "processedAt")).Equal(P) {
			t.Fatalf("processed reservation: %v", pr)
		}
		if overdue(T.Add(30*time.Hour)) || listedOverdue(T.Add(30*time.Hour)) != 0 {
			t.Fatalf("an EFFECTIVE reservation is still overdue")
		}
		if n := e.ledgerCount(w.Key, ledgerResListDoc, "reservations", map[string]any{"f": map[string]any{"status": "EFFECTIVE"}, "at": nil}); n != 1 {
			t.Fatalf("reservations(status: EFFECTIVE) totalCount %d", n)
		}
		ledgerOnly(t, e.ledgerRefused(e.Operator, ledgerProcessResDoc, map[string]any{"id": str(r, "id")}, "reservation"), "RESERVATION_NOT_PENDING", "reservationId")
		// Processing adds nothing: the licenses were added when reserved.
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 6, 0, 6)
	})
}

// ---- R-SUB ----

func TestLedgerSubscriptions(t *testing.T) {
	ledgerCase(t, "R-SUB-1_licensed_counts_active_only", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.ledgerBuy(w.Key, "ENR-1", "o1", "O365-E3", 40, "INTUNE", 10)
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", ledgerT0.Add(13*time.Hour))
		e.mutate(w.Key, ledgerAutoRenewDoc, map[string]any{"id": str(subs["O365-E3"], "id"), "on": false})
		on := e.mutate(w.Key, ledgerAutoRenewDoc, map[string]any{"id": str(subs["INTUNE"], "id"), "on": true})
		if get(on, "subscription", "autoRenew") != true {
			t.Fatalf("setAutoRenew true: %v", on)
		}
		lastDay := time.Date(2028, 12, 31, 23, 59, 59, 0, time.UTC)
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", lastDay)
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 40, 0, 40)
		ledgerWantSub(t, subs["INTUNE"], "ACTIVE", 10, 0, 10)
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", lastDay.Add(time.Second))
		ledgerWantSub(t, subs["O365-E3"], "EXPIRED", 40, 0, 0) // auto-renew off: lapsed
		ledgerWantSub(t, subs["INTUNE"], "ACTIVE", 10, 0, 10)  // auto-renew on: carries on

		// Direct purchases on an account, through Account.subscriptions(asOf:).
		e.ledgerDirect(w.Key, w.AccountID, "O365-E5", 7, "2027-06-30", false)
		e.ledgerDirect(w.Key, w.AccountID, "M365-E3", 4, "2027-06-30", true)
		acc, _ := e.ledgerAccountSubs(w.Key, w.AccountID, time.Date(2027, 6, 30, 12, 0, 0, 0, time.UTC))
		ledgerWantSub(t, acc["O365-E5"], "ACTIVE", 7, 0, 7)
		acc, _ = e.ledgerAccountSubs(w.Key, w.AccountID, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC))
		ledgerWantSub(t, acc["O365-E5"], "EXPIRED", 7, 0, 0)
		ledgerWantSub(t, acc["M365-E3"], "ACTIVE", 4, 0, 4)
	})

	ledgerCase(t, "R-SUB-5_expired_then_renewed", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-ENR-1")
		e.ledgerBuy(w.Key, "OV-ENR-1", "o1", "O365-E3", 20, "INTUNE", 5)
		subs, _ := e.ledgerSubs(w.Key, "OV-ENR-1", ledgerT0.Add(13*time.Hour))
		e3, intune := str(subs["O365-E3"], "id"), str(subs["INTUNE"], "id")
		if str(subs["O365-E3"], "endDate") != "2028-12-31" {
			t.Fatalf("an enrollment's subscription ends with it: %v", subs["O365-E3"])
		}
		e.mutate(w.Key, ledgerAutoRenewDoc, map[string]any{"id": e3, "on": false})

		later := time.Date(2029, 1, 10, 9, 0, 0, 0, time.UTC)
		e.SetNow(later)
		subs, _ = e.ledgerSubs(w.Key, "OV-ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "EXPIRED", 20, 0, 0)
		rn := e.mutate(w.Key, ledgerRenewDoc, map[string]any{"id": e3})
		s := rn["subscription"].(map[string]any)
		ledgerWantSub(t, s, "ACTIVE", 20, 0, 20)
		if str(s, "endDate") != "2030-01-10" { // a year from the renewal day: it had lapsed
			t.Fatalf("renewed endDate %s, want 2030-01-10", str(s, "endDate"))
		}
		subs, _ = e.ledgerSubs(w.Key, "OV-ENR-1", time.Time{})
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 20, 0, 20)
		subs, _ = e.ledgerSubs(w.Key, "OV-ENR-1", time.Date(2030, 1, 11, 0, 0, 0, 0, time.UTC))
		ledgerWantSub(t, subs["O365-E3"], "EXPIRED", 20, 0, 0) // auto-renew is still off

		// A cancelled subscription is not renewable, and stays EXPIRED.
		e.mutate(w.Key, ledgerCancelSubDoc, map[string]any{"id": intune})
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerRenewDoc, map[string]any{"id": intune}, "subscription"), "SUBSCRIPTION_NOT_RENEWABLE", "subscriptionId")
		subs, _ = e.ledgerSubs(w.Key, "OV-ENR-1", time.Time{})
		ledgerWantSub(t, subs["INTUNE"], "EXPIRED", 5, 0, 0)
	})

	ledgerCase(t, "R-SUB-5_renewing_before_the_end_adds_a_year_to_it", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-ENR-1")
		e.ledgerBuy(w.Key, "OV-ENR-1", "o1", "O365-E3", 20)
		subs, _ := e.ledgerSubs(w.Key, "OV-ENR-1", time.Time{})
		rn := e.mutate(w.Key, ledgerRenewDoc, map[string]any{"id": str(subs["O365-E3"], "id")})
		if str(rn, "subscription", "endDate") != "2029-12-31" || str(rn, "subscription", "status") != "ACTIVE" {
			t.Fatalf("renewing an ACTIVE subscription ending 2028-12-31: %v", rn["subscription"])
		}
	})

	ledgerCase(t, "R-SUB-6_cancel_by_program", func(t *testing.T, e *env) {
		cancelled := func(t *testing.T, key, enrollment, subID string, at time.Time) {
			t.Helper()
			subs, _ := e.ledgerSubs(key, enrollment, at.Add(time.Hour))
			sub := subs["O365-E3"]
			ledgerWantSub(t, sub, "EXPIRED", 10, 0, 0)
			if !ledgerTime(t, sub["cancelledAt"]).Equal(at) {
				t.Fatalf("cancelledAt %v, want %s", sub["cancelledAt"], at)
			}
			subs, _ = e.ledgerSubs(key, enrollment, at.Add(-time.Second))
			ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10) // EXPIRED from the cancellation on
		}
		buy := func(key, enrollment string) string {
			e.SetNow(ledgerT0)
			e.ledgerBuy(key, enrollment, "o-"+enrollment, "O365-E3", 10)
			subs, _ := e.ledgerSubs(key, enrollment, ledgerT0.Add(13*time.Hour))
			e.SetNow(ledgerT0.Add(13 * time.Hour))
			return str(subs["O365-E3"], "id")
		}
		at := ledgerT0.Add(13 * time.Hour)
		for _, p := range []struct{ program, agreement, enrollment string }{{"OPEN_VALUE", "V2000001", "OV-1"}, {"MPSA", "MPSA-1", "MP-1"}} {
			w := e.newWorld("R-"+p.program, p.program, p.agreement, p.enrollment)
			id := buy(w.Key, p.enrollment)
			c := e.mutate(w.Key, ledgerCancelSubDoc, map[string]any{"id": id})
			if str(c, "subscription", "status") != "EXPIRED" || str(c, "subscription", "program") != p.program {
				t.Fatalf("%s cancel payload: %v", p.program, c)
			}
			cancelled(t, w.Key, p.enrollment, id, at)
		}
		for _, p := range []struct{ program, agreement, enrollment string }{
			{"ENTERPRISE", "EA-9", "EA-ENR-9"}, {"ENTERPRISE_SUBSCRIPTION", "ES-9", "ES-ENR-9"}, {"CAMPUS_AND_SCHOOL", "CS-9", "CS-ENR-9"}} {
			w := e.newWorld("R-"+p.program, p.program, p.agreement, p.enrollment)
			id := buy(w.Key, p.enrollment)
			for _, key := range []string{w.Key, e.Operator} { // refused with the reason, whoever asks
				ue := e.ledgerRefused(key, ledgerCancelSubDoc, map[string]any{"id": id}, "subscription")
				ledgerOnly(t, ue, "CANCEL_NOT_ALLOWED", "subscriptionId")
				if !strings.Contains(ue[0].Message, p.program) {
					t.Fatalf("%s: the reason should name the program: %q", p.program, ue[0].Message)
				}
			}
			subs, _ := e.ledgerSubs(w.Key, p.enrollment, at.Add(time.Hour))
			ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)
			if subs["O365-E3"]["cancelledAt"] != nil {
				t.Fatalf("%s: refused cancel set cancelledAt", p.program)
			}
		}

		// MOSP: through support (an operator key), not by the reseller.
		w := e.newWorld("R-MOSP", "ENTERPRISE", "EA-M", "ENR-M")
		e.SetNow(ledgerT0)
		d := e.ledgerDirect(w.Key, w.AccountID, "O365-E3", 10, "2027-11-22", true)
		ledgerOnly(t, e.ledgerRefused(w.Key, ledgerCancelSubDoc, map[string]any{"id": str(d, "id")}, "subscription"), "CANCEL_THROUGH_SUPPORT", "subscriptionId")
		acc, _ := e.ledgerAccountSubs(w.Key, w.AccountID, ledgerT0.Add(time.Hour))
		ledgerWantSub(t, acc["O365-E3"], "ACTIVE", 10, 0, 10)
		e.SetNow(at)
		c := e.mutate(e.Operator, ledgerCancelSubDoc, map[string]any{"id": str(d, "id")})
		if str(c, "subscription", "status") != "EXPIRED" || !ledgerTime(t, get(c, "subscription", "cancelledAt")).Equal(at) {
			t.Fatalf("MOSP cancel by support: %v", c)
		}
		acc, _ = e.ledgerAccountSubs(w.Key, w.AccountID, at.Add(time.Hour))
		ledgerWantSub(t, acc["O365-E3"], "EXPIRED", 10, 0, 0)
	})

	ledgerCase(t, "R-SUB-7_quantity_is_the_new_total", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.ledgerBuy(w.Key, "ENR-1", "o1", "O365-E3", 100)
		e.SetNow(ledgerT0.Add(13 * time.Hour))
		subs, _ := e.ledgerSubs(w.Key, "ENR-1", time.Time{})
		id := str(subs["O365-E3"], "id")
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 100, 0, 100)

		p := e.mutate(w.Key, ledgerSetQtyDoc, map[string]any{"id": id, "q": 105})
		ledgerWantSub(t, p["subscription"].(map[string]any), "ACTIVE", 105, 0, 105)
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", ledgerT0.AddDate(0, 0, 2))
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 105, 0, 105)
		// The same total again is no change; a lower total lowers it.
		p = e.mutate(w.Key, ledgerSetQtyDoc, map[string]any{"id": id, "q": 105})
		ledgerWantSub(t, p["subscription"].(map[string]any), "ACTIVE", 105, 0, 105)
		p = e.mutate(w.Key, ledgerSetQtyDoc, map[string]any{"id": id, "q": 103})
		ledgerWantSub(t, p["subscription"].(map[string]any), "ACTIVE", 103, 0, 103)

		for _, q := range []int{0, -5, 1_000_001} {
			ledgerOnly(t, e.ledgerRefused(w.Key, ledgerSetQtyDoc, map[string]any{"id": id, "q": q}, "subscription"), "INVALID_QUANTITY", "quantity")
		}
		subs, _ = e.ledgerSubs(w.Key, "ENR-1", ledgerT0.AddDate(0, 0, 2))
		ledgerWantSub(t, subs["O365-E3"], "ACTIVE", 103, 0, 103)
	})
}

// ---- tenancy of the ledger ----

func TestLedgerTenancy(t *testing.T) {
	ledgerCase(t, "ledger_objects_of_another_reseller_look_missing", func(t *testing.T, e *env) {
		a := e.newWorld("Contoso", "OPEN_VALUE", "V3000001", "ENR-A")
		b := e.newWorld("Litware", "OPEN_VALUE", "V3000002", "ENR-B")
		placed := e.ledgerPlace(a.Key, "ENR-A", "shared-key", "O365-E3", 4)
		e.ledgerBuy(a.Key, "ENR-A", "bought", "O365-E5", 9)
		res := e.ledgerReserve(a.Key, ledgerResIn("ENR-A", "O365-E5", 2, "vic@fabrikam.com", "res"))
		direct := e.ledgerDirect(a.Key, a.AccountID, "INTUNE", 3, "2027-11-22", true)
		subs, _ := e.ledgerSubs(a.Key, "ENR-A", time.Time{})
		sub := str(subs["O365-E5"], "id")

		// B sees none of it.
		if n := e.ledgerOrdersTotal(b.Key); n != 0 {
			t.Fatalf("B sees %d orders", n)
		}
		if n := e.ledgerCount(b.Key, ledgerResListDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("B sees %d reservations", n)
		}
		if d := e.ok(b.Key, ledgerOrderByNumber, map[string]any{"n": str(placed, "number")}); get(d, "order") != nil {
			t.Fatalf("B reads A's order by number: %v", d)
		}
		for _, id := range []string{str(placed, "id"), str(res, "id"), sub, str(direct, "id")} {
			if d := e.ok(b.Key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); get(d, "node") != nil {
				t.Fatalf("B resolves A's node %s: %v", id, d)
			}
		}
		if _, n := e.ledgerAccountSubs(b.Key, a.AccountID, time.Time{}); n != 0 {
			t.Fatalf("B lists A's account subscriptions")
		}

		// B's writes on A's ids are refused exactly like made-up ids.
		same := func(what string, real, madeUp []userError, field string) {
			t.Helper()
			ledgerOnly(t, real, "NOT_FOUND", field)
			if !reflect.DeepEqual(real, madeUp) {
				t.Fatalf("%s: A's id answers %+v, a made-up id %+v", what, real, madeUp)
			}
		}
		fakeOrder, fakeSub := ledgerGlobalID("Order", 4242), ledgerGlobalID("Subscription", 4242)
		same("cancelOrder", e.ledgerRefused(b.Key, ledgerCancelOrderDoc, map[string]any{"id": str(placed, "id")}, "order"),
			e.ledgerRefused(b.Key, ledgerCancelOrderDoc, map[string]any{"id": fakeOrder}, "order"), "orderId")
		for _, doc := range []string{ledgerRenewDoc, ledgerCancelSubDoc} {
			same("subscription action", e.ledgerRefused(b.Key, doc, map[string]any{"id": sub}, "subscription"),
				e.ledgerRefused(b.Key, doc, map[string]any{"id": fakeSub}, "subscription"), "subscriptionId")
		}
		same("setSubscriptionQuantity", e.ledgerRefused(b.Key, ledgerSetQtyDoc, map[string]any{"id": sub, "q": 1}, "subscription"),
			e.ledgerRefused(b.Key, ledgerSetQtyDoc, map[string]any{"id": fakeSub, "q": 1}, "subscription"), "subscriptionId")
		same("setAutoRenew", e.ledgerRefused(b.Key, ledgerAutoRenewDoc, map[string]any{"id": sub, "on": false}, "subscription"),
			e.ledgerRefused(b.Key, ledgerAutoRenewDoc, map[string]any{"id": fakeSub, "on": false}, "subscription"), "subscriptionId")
		same("cancel direct", e.ledgerRefused(b.Key, ledgerCancelSubDoc, map[string]any{"id": str(direct, "id")}, "subscription"),
			e.ledgerRefused(b.Key, ledgerCancelSubDoc, map[string]any{"id": fakeSub}, "subscription"), "subscriptionId")
		ledgerOnly(t, e.ledgerRefused(b.Key, ledgerCreateOrderDoc, ledgerIn(ledgerOrderIn("ENR-A", "b1", ledgerLines("O365-E3", 1))), "order"), "NOT_FOUND", "enrollmentNumber")
		ledgerOnly(t, e.ledgerRefused(b.Key, ledgerCreateResDoc, ledgerIn(ledgerResIn("ENR-A", "O365-E3", 1, "vic@fabrikam.com", "b2")), "reservation"), "NOT_FOUND", "enrollmentNumber")
		ledgerOnly(t, e.ledgerRefused(b.Key, ledgerGrantDoc, map[string]any{"n": "ENR-A", "a": "ana@fabrikam.com"}, "enrollment"), "NOT_FOUND", "enrollmentNumber")
		ledgerOnly(t, e.ledgerRefused(b.Key, ledgerDirectDoc, ledgerIn(map[string]any{"accountId": a.AccountID, "sku": "INTUNE", "quantity": 1, "endDate": "2027-11-22"}), "subscription"), "NOT_FOUND", "accountId")
		move := ledgerOrderIn("ENR-B", "b3", ledgerLines("INTUNE", 3))
		move["movesFromSubscriptionId"] = str(direct, "id")
		ledgerOnly(t, e.ledgerRefused(b.Key, ledgerCreateOrderDoc, ledgerIn(move), "order"), "NOT_FOUND", "movesFromSubscriptionId")

		// Idempotency keys are per reseller: B's "shared-key" is B's own new order.
		bo := e.ledgerPlace(b.Key, "ENR-B", "shared-key", "O365-E1", 1)
		if str(bo, "id") == str(placed, "id") || str(bo, "enrollment", "number") != "ENR-B" {
			t.Fatalf("B's order under A's key: %v", bo)
		}

		// Nothing of A's changed; the operator may still act on A's ids.
		if st := str(e.ok(a.Key, ledgerOrderByNumber, map[string]any{"n": str(placed, "number")}), "order", "status"); st != "PLACED" {
			t.Fatalf("A's order is %s after B's attempts", st)
		}
		subs, _ = e.ledgerSubs(a.Key, "ENR-A", ledgerT0.Add(13*time.Hour))
		ledgerWantSub(t, subs["O365-E5"], "ACTIVE", 11, 0, 11)
		if subs["O365-E5"]["cancelledAt"] != nil || subs["O365-E5"]["autoRenew"] != false {
			t.Fatalf("A's subscription changed: %v", subs["O365-E5"])
		}
		acc, _ := e.ledgerAccountSubs(a.Key, a.AccountID, ledgerT0.Add(time.Hour))
		if acc["INTUNE"]["cancelledAt"] != nil || str(acc["INTUNE"], "status") != "ACTIVE" {
			t.Fatalf("A's direct subscription changed: %v", acc["INTUNE"])
		}
		if p := e.ledgerProcess(str(placed, "id")); str(p, "status") != "PROCESSED" {
			t.Fatalf("operator processOrder on A's order: %v", p)
		}
		e.mutate(e.Operator, ledgerProcessResDoc, map[string]any{"id": str(res, "id")})
	})
}
