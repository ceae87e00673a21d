package e2e

// Orders (R-ORD) and reservations (R-RES) end to end, each rule proved by a subtest named by its
// ID, on every engine of the run.

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Orders (R-ORD-1 to R-ORD-5).
func TestOrders(t *testing.T) {
	ruleCase(t, "R-ORD-1_refused_order_writes_nothing", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		cases := []struct {
			name, code, field string
			in                map[string]any
		}{
			{"quantity 0", "INVALID_QUANTITY", "lines.0.quantity", orderIn("ENR-1", "k1", orderLines("O365-E3", 0))},
			{"negative quantity on line 1", "INVALID_QUANTITY", "lines.1.quantity", orderIn("ENR-1", "k1", orderLines("O365-E3", 5, "O365-E5", -1))},
			{"quantity over 1,000,000", "INVALID_QUANTITY", "lines.0.quantity", orderIn("ENR-1", "k1", orderLines("O365-E3", 1_000_001))},
			{"unknown SKU", "UNKNOWN_SKU", "lines.0.sku", orderIn("ENR-1", "k1", orderLines("NOPE-1", 5))},
			{"no lines", "REQUIRED", "lines", orderIn("ENR-1", "k1", orderLines())},
			{"duplicate SKU", "DUPLICATE_LINE", "lines.1.sku", orderIn("ENR-1", "k1", orderLines("O365-E3", 5, "O365-E3", 2))},
			{"unknown enrollment", "NOT_FOUND", "enrollmentNumber", orderIn("ENR-404", "k1", orderLines("O365-E3", 5))},
			{"no idempotency key", "REQUIRED", "idempotencyKey", orderIn("ENR-1", " ", orderLines("O365-E3", 5))},
		}
		for _, c := range cases {
			ue := e.refusedPayload(t, w.Key, createOrderDoc, vars(c.in), "order")
			if len(ue) != 1 || ue[0].Code != c.code || strings.Join(ue[0].Field, ".") != c.field {
				t.Fatalf("%s: want only %s on %q, got %+v", c.name, c.code, c.field, ue)
			}
		}
		// Usage start before the purchase date.
		in := orderIn("ENR-1", "k1", orderLines("O365-E3", 5))
		in["usageStartDate"] = "2026-11-22"
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(in), "order"), "INVALID", "usageStartDate")
		// Outside the enrollment's term (it ends 2028-12-31): not an active enrollment then.
		in = orderIn("ENR-1", "k1", orderLines("O365-E3", 5))
		in["purchaseDate"], in["usageStartDate"] = "2029-01-01", "2029-01-01"
		hasUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(in), "order"), "ENROLLMENT_NOT_ACTIVE", "purchaseDate")

		if n := e.ordersTotal(w.Key); n != 0 {
			t.Fatalf("refused orders wrote %d orders", n)
		}
		// Nothing was written: key k1 was never taken, so it places a new order with other content.
		o := e.place(w.Key, "ENR-1", "k1", t0Day, t0Day, "O365-E3", 7)
		if str(o, "status") != "PLACED" || num(o, "lines", 0, "quantity") != 7 || len(get(o, "lines").([]any)) != 1 {
			t.Fatalf("order after refusals: %v", o)
		}
		if n := e.ordersTotal(w.Key); n != 1 {
			t.Fatalf("orders totalCount %d, want 1", n)
		}
	})
	ruleCase(t, "R-ORD-1_purchase_before_the_enrollment_starts_is_outside_its_term", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1") // the enrollment runs 2026-01-01..2028-12-31
		in := orderIn("ENR-1", "early", orderLines("O365-E3", 5))
		in["purchaseDate"], in["usageStartDate"] = "2025-06-01", "2026-01-01"
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(in), "order"), "ENROLLMENT_NOT_ACTIVE", "purchaseDate")
		if n := e.ordersTotal(w.Key); n != 0 {
			t.Fatalf("orders totalCount %d, want 0", n)
		}
	})
	ruleCase(t, "R-ORD-1_only_processed_order_adds_quantities", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		far := t0.AddDate(1, 0, 0)
		a := e.place(w.Key, "ENR-1", "a", t0Day, t0Day, "O365-E3", 10)
		b := e.place(w.Key, "ENR-1", "b", t0Day, t0Day, "O365-E3", 7)
		c := e.place(w.Key, "ENR-1", "c", t0Day, t0Day, "O365-E3", 5, "INTUNE", 3)
		for _, o := range []map[string]any{a, b, c} {
			if str(o, "status") != "PLACED" || o["processedAt"] != nil || o["availableAt"] != nil || o["cancelledAt"] != nil {
				t.Fatalf("new order: %v", o)
			}
		}
		if _, n := e.subsBySKU(w.Key, "ENR-1", far); n != 0 {
			t.Fatalf("PLACED orders created %d subscriptions", n)
		}

		// Cancelling a PLACED order adds nothing.
		cb := e.mutate(w.Key, cancelOrderDoc, map[string]any{"id": str(b, "id")})
		if str(cb, "order", "status") != "CANCELLED" || !parseDateTime(t, get(cb, "order", "cancelledAt")).Equal(t0) {
			t.Fatalf("cancelled order: %v", cb)
		}
		if _, n := e.subsBySKU(w.Key, "ENR-1", far); n != 0 {
			t.Fatalf("a CANCELLED order created %d subscriptions", n)
		}

		// processOrder is an operator action: a RESELLER key gets FORBIDDEN and changes nothing.
		r := e.do(w.Key, processOrderDoc, map[string]any{"id": str(a, "id")})
		if r.errCode() != "FORBIDDEN" || get(r.Data, "processOrder") != nil {
			t.Fatalf("processOrder by a RESELLER key: want FORBIDDEN, got %s", r.Raw)
		}
		if r := e.do(e.readerKey(w.ResellerID), processOrderDoc, map[string]any{"id": str(a, "id")}); r.errCode() != "FORBIDDEN" {
			t.Fatalf("processOrder by a READER key: want FORBIDDEN, got %s", r.Raw)
		}
		if st := str(e.ok(w.Key, orderDoc, map[string]any{"n": str(a, "number")}), "order", "status"); st != "PLACED" {
			t.Fatalf("order after a forbidden processOrder: %s", st)
		}

		pa := e.process(str(a, "id"))
		if str(pa, "status") != "PROCESSED" || !parseDateTime(t, pa["processedAt"]).Equal(t0) {
			t.Fatalf("processed order: %v", pa)
		}
		subs, n := e.subsBySKU(w.Key, "ENR-1", far)
		if n != 1 {
			t.Fatalf("want only the O365-E3 subscription, got %v", subs)
		}
		wantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10) // b cancelled, c placed: only a's 10

		// Only a PLACED order can be processed or cancelled.
		onlyUserError(t, e.refusedPayload(t, e.Operator, processOrderDoc, map[string]any{"id": str(a, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		onlyUserError(t, e.refusedPayload(t, w.Key, cancelOrderDoc, map[string]any{"id": str(a, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		onlyUserError(t, e.refusedPayload(t, e.Operator, processOrderDoc, map[string]any{"id": str(b, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		onlyUserError(t, e.refusedPayload(t, w.Key, cancelOrderDoc, map[string]any{"id": str(b, "id")}, "order"), "ORDER_NOT_PLACED", "orderId")
		subs, _ = e.subsBySKU(w.Key, "ENR-1", far)
		wantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)

		got := map[string]string{}
		for _, o := range []map[string]any{a, b, c} {
			got[str(o, "idempotencyKey")] = str(e.ok(w.Key, orderDoc, map[string]any{"n": str(o, "number")}), "order", "status")
		}
		if want := map[string]string{"a": "PROCESSED", "b": "CANCELLED", "c": "PLACED"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("statuses %v, want %v", got, want)
		}
		if n := e.totalCount(w.Key, ordersDoc, "orders", map[string]any{"f": map[string]any{"status": "PLACED"}}); n != 1 {
			t.Fatalf("orders(status: PLACED) totalCount %d, want 1", n)
		}
	})
	ruleCase(t, "R-ORD-2_idempotency_key", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		in := orderIn("ENR-1", "idem-1", orderLines("O365-E3", 10, "INTUNE", 4))
		first := e.placeOrder(w.Key, in)
		for i := 0; i < 2; i++ {
			if again := e.placeOrder(w.Key, in); str(again, "id") != str(first, "id") || str(again, "number") != str(first, "number") {
				t.Fatalf("retry %d returned another order: %v vs %v", i, again, first)
			}
		}
		// Line order is not content.
		swapped := orderIn("ENR-1", "idem-1", orderLines("INTUNE", 4, "O365-E3", 10))
		if again := e.placeOrder(w.Key, swapped); str(again, "id") != str(first, "id") {
			t.Fatalf("the same lines in another order made another order: %v", again)
		}
		// Different content under the key is refused, whatever differs.
		for name, other := range map[string]map[string]any{
			"quantity":    orderIn("ENR-1", "idem-1", orderLines("O365-E3", 11, "INTUNE", 4)),
			"fewer lines": orderIn("ENR-1", "idem-1", orderLines("O365-E3", 10)),
			"sku":         orderIn("ENR-1", "idem-1", orderLines("O365-E5", 10, "INTUNE", 4)),
		} {
			ue := e.refusedPayload(t, w.Key, createOrderDoc, vars(other), "order")
			if len(ue) != 1 || ue[0].Code != "IDEMPOTENCY_KEY_REUSED" || strings.Join(ue[0].Field, ".") != "idempotencyKey" {
				t.Fatalf("%s: want IDEMPOTENCY_KEY_REUSED on idempotencyKey, got %+v", name, ue)
			}
		}
		later := orderIn("ENR-1", "idem-1", orderLines("O365-E3", 10, "INTUNE", 4))
		later["purchaseDate"], later["usageStartDate"] = "2026-11-24", "2026-11-24"
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(later), "order"), "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		if n := e.ordersTotal(w.Key); n != 1 {
			t.Fatalf("orders totalCount %d, want 1", n)
		}

		// A retry after processing still returns the first order and adds nothing.
		e.process(str(first, "id"))
		again := e.placeOrder(w.Key, in)
		if str(again, "id") != str(first, "id") || str(again, "status") != "PROCESSED" {
			t.Fatalf("retry after processing: %v", again)
		}
		subs, _ := e.subsBySKU(w.Key, "ENR-1", t0.Add(24*time.Hour))
		wantSub(t, subs["O365-E3"], "ACTIVE", 10, 0, 10)
		// A new key with the same content is a new order.
		if other := e.placeOrder(w.Key, orderIn("ENR-1", "idem-2", orderLines("O365-E3", 10, "INTUNE", 4))); str(other, "id") == str(first, "id") {
			t.Fatalf("a new key returned the first order")
		}
		if n := e.ordersTotal(w.Key); n != 2 {
			t.Fatalf("orders totalCount %d, want 2", n)
		}
	})
	ruleCase(t, "R-ORD-3_addon_needs_base", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		addOnAlone := orderIn("ENR-1", "addon", orderLines("D365-ADD-STORAGE", 5))
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(addOnAlone), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
		// The add-on's line is named, not the base's.
		mixed := orderIn("ENR-1", "mixed", orderLines("O365-E3", 5, "D365-ADD-INSTANCE", 1))
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(mixed), "order"), "ADDON_REQUIRES_BASE", "lines.1.sku")

		// With its base in the same order (any line order) it is accepted.
		both := e.place(w.Key, "ENR-1", "both", t0Day, t0Day, "D365-ADD-STORAGE", 5, "D365-SALES-PRO", 10)
		// A base that is only PLACED is not on the enrollment yet.
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(addOnAlone), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
		// Once processed, the base is subscribed: the add-on alone is accepted.
		e.process(str(both, "id"))
		if o := e.placeOrder(w.Key, addOnAlone); str(o, "status") != "PLACED" {
			t.Fatalf("add-on after its base: %v", o)
		}
		// The base on another enrollment (same agreement) does not count.
		e.enrollTerm(w.Key, w.AgreementID, "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		other := orderIn("ENR-2", "addon-2", orderLines("D365-ADD-STORAGE", 5))
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(other), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
	})
	ruleCase(t, "R-ORD-3_cancelled_base_does_not_count", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "OPEN_VALUE", "V1000001", "OV-1")
		e.buy(w.Key, "OV-1", "base", t0Day, t0Day, "D365-SALES-PRO", 5)
		addOn := orderIn("OV-1", "addon", orderLines("D365-ADD-STORAGE", 5))
		if o := e.placeOrder(w.Key, addOn); str(o, "status") != "PLACED" {
			t.Fatalf("add-on with its base subscribed: %v", o)
		}
		subs, _ := e.subsBySKU(w.Key, "OV-1", time.Time{})
		e.mutate(w.Key, cancelSubscriptionDoc, map[string]any{"id": str(subs["D365-SALES-PRO"], "id")})
		again := orderIn("OV-1", "addon-2", orderLines("D365-ADD-STORAGE", 5))
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(again), "order"), "ADDON_REQUIRES_BASE", "lines.0.sku")
	})
	// Clarification R-ORD-3: the add-on rule applies to every way a SKU is bought, direct (MOSP)
	// purchases included: the base must be subscribed on the account the add-on lands on.
	ruleCase(t, "R-ORD-3_direct_purchase_addon_needs_its_base_on_the_account", func(t *testing.T, e *env) {
		w := e.fabrikamWorld("ENTERPRISE", "A-1", "E-1")
		other := e.createAccount(w.Key, w.CustomerID, "Fabrikam direct", "US", nil)
		addOn := func(account, sku string) map[string]any {
			return vars(map[string]any{"accountId": account, "sku": sku, "quantity": 10, "endDate": "2027-11-22", "autoRenew": true})
		}
		onlyUserError(t, e.refusedPayload(t, w.Key, directSubscriptionDoc, addOn(other, "D365-ADD-STORAGE"), "subscription"), "ADDON_REQUIRES_BASE", "sku")
		if _, n := e.accountSubsBySKU(w.Key, other, time.Time{}); n != 0 {
			t.Fatalf("a refused direct purchase wrote %d subscriptions", n)
		}
		// A base on the account through an enrollment counts.
		e.buyToday(w.Key, "E-1", "o1", "D365-SALES-PRO", 5)
		e.activate(w.Key, e.sendToken(t, "E-1", t0), w.AccountID)
		e.mutate(w.Key, directSubscriptionDoc, addOn(w.AccountID, "D365-ADD-STORAGE"))
		// So does a direct base; until it is cancelled (support cancels MOSP, R-SUB-6).
		base := e.directID(w.Key, other, "D365-SALES-PRO", 5, "2027-11-22", true)
		e.mutate(w.Key, directSubscriptionDoc, addOn(other, "D365-ADD-STORAGE"))
		e.mutate(e.Operator, cancelSubscriptionDoc, map[string]any{"id": base})
		onlyUserError(t, e.refusedPayload(t, w.Key, directSubscriptionDoc, addOn(other, "D365-ADD-INSTANCE"), "subscription"), "ADDON_REQUIRES_BASE", "sku")
	})
	ruleCase(t, "R-ORD-4_move_from_direct_orders_at_least_its_holdings", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		pro := e.direct(w.Key, w.AccountID, "D365-SALES-PRO", 50, "2027-11-22", true)
		e.direct(w.Key, w.AccountID, "D365-ADD-INSTANCE", 3, "2027-11-22", true)
		e.direct(w.Key, w.AccountID, "D365-ADD-STORAGE", 5, "2027-11-22", true)
		if str(pro, "program") != "MOSP" || num(pro, "quantity") != 50 {
			t.Fatalf("direct subscription: %v", pro)
		}
		move := func(key string, pairs ...any) map[string]any {
			in := orderIn("ENR-1", key, orderLines(pairs...))
			in["movesFromSubscriptionId"] = str(pro, "id")
			return in
		}
		shortfall := func(ue []userError, sku string, short int) {
			t.Helper()
			onlyUserError(t, ue, "MIGRATION_QUANTITY_TOO_LOW", "lines")
			if !regexp.MustCompile(regexp.QuoteMeta(sku) + `\D[^;]*\b` + strconv.Itoa(short) + `\b`).MatchString(ue[0].Message) {
				t.Fatalf("message should name %s and its shortfall %d: %q", sku, short, ue[0].Message)
			}
		}
		ue := e.refusedPayload(t, w.Key, createOrderDoc, vars(move("m1", "D365-SALES-PRO", 50, "D365-ADD-INSTANCE", 1, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-ADD-INSTANCE", 2)
		for _, ok := range []string{"D365-SALES-PRO", "D365-ADD-STORAGE"} {
			if strings.Contains(ue[0].Message, ok) {
				t.Fatalf("message names %s, which is not short: %q", ok, ue[0].Message)
			}
		}
		// A SKU left out entirely is short by all it holds.
		ue = e.refusedPayload(t, w.Key, createOrderDoc, vars(move("m2", "D365-SALES-PRO", 50, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-ADD-INSTANCE", 3)
		ue = e.refusedPayload(t, w.Key, createOrderDoc, vars(move("m3", "D365-SALES-PRO", 40, "D365-ADD-INSTANCE", 3, "D365-ADD-STORAGE", 5)), "order")
		shortfall(ue, "D365-SALES-PRO", 10)
		if n := e.ordersTotal(w.Key); n != 0 {
			t.Fatalf("refused moves wrote %d orders", n)
		}

		o := e.placeOrder(w.Key, move("m4", "D365-SALES-PRO", 50, "D365-ADD-INSTANCE", 3, "D365-ADD-STORAGE", 5))
		if str(o, "movesFromSubscription", "id") != str(pro, "id") {
			t.Fatalf("order.movesFromSubscription = %v, want %s", o["movesFromSubscription"], str(pro, "id"))
		}
		e.process(str(o, "id"))
		// The move adds licenses; the direct subscriptions stay.
		subs, _ := e.subsBySKU(w.Key, "ENR-1", t0.Add(13*time.Hour))
		wantSub(t, subs["D365-SALES-PRO"], "ACTIVE", 50, 0, 50)
		wantSub(t, subs["D365-ADD-INSTANCE"], "ACTIVE", 3, 0, 3)
		wantSub(t, subs["D365-ADD-STORAGE"], "ACTIVE", 5, 0, 5)
		direct, n := e.accountSubsBySKU(w.Key, w.AccountID, t0.Add(13*time.Hour))
		if n != 3 {
			t.Fatalf("account subscriptions: %v", direct)
		}
		for sku, q := range map[string]int{"D365-SALES-PRO": 50, "D365-ADD-INSTANCE": 3, "D365-ADD-STORAGE": 5} {
			wantSub(t, direct[sku], "ACTIVE", q, 0, q)
			if direct[sku]["cancelledAt"] != nil || str(direct[sku], "program") != "MOSP" {
				t.Fatalf("direct %s after the move: %v", sku, direct[sku])
			}
		}
		// movesFromSubscriptionId must name a direct subscription, not an enrollment's.
		bad := orderIn("ENR-1", "m5", orderLines("O365-E3", 1))
		bad["movesFromSubscriptionId"] = str(subs["D365-SALES-PRO"], "id")
		onlyUserError(t, e.refusedPayload(t, w.Key, createOrderDoc, vars(bad), "order"), "NOT_FOUND", "movesFromSubscriptionId")
	})
	ruleCase(t, "R-ORD-5_pending_for_12_hours", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		o := e.place(w.Key, "ENR-1", "o1", t0Day, t0Day, "O365-E3", 25)
		T := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
		e.SetNow(T)
		p := e.process(str(o, "id"))
		if !parseDateTime(t, p["processedAt"]).Equal(T) || !parseDateTime(t, p["availableAt"]).Equal(T.Add(12*time.Hour)) {
			t.Fatalf("processedAt %v availableAt %v, want %s and %s", p["processedAt"], p["availableAt"], T, T.Add(12*time.Hour))
		}
		if q := e.ok(w.Key, orderDoc, map[string]any{"n": str(o, "number")}); !parseDateTime(t, get(q, "order", "availableAt")).Equal(T.Add(12 * time.Hour)) {
			t.Fatalf("order(number:).availableAt: %v", get(q, "order", "availableAt"))
		}
		at := func(d time.Duration) map[string]any {
			subs, _ := e.subsBySKU(w.Key, "ENR-1", T.Add(d))
			return subs["O365-E3"]
		}
		wantSub(t, at(time.Hour), "ACTIVE", 25, 25, 0)
		wantSub(t, at(12*time.Hour-time.Second), "ACTIVE", 25, 25, 0)
		wantSub(t, at(12*time.Hour), "ACTIVE", 25, 0, 25)
		wantSub(t, at(-time.Second), "ACTIVE", 0, 0, 0) // before processing nothing was there
		// Without asOf the server clock decides.
		e.SetNow(T.Add(2 * time.Hour))
		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 25, 25, 0)

		// Each order is pending for its own 12 hours.
		e.SetNow(T.Add(6 * time.Hour))
		e.buy(w.Key, "ENR-1", "o2", t0Day, t0Day, "O365-E3", 5)
		wantSub(t, at(13*time.Hour), "ACTIVE", 30, 5, 25)
		wantSub(t, at(18*time.Hour), "ACTIVE", 30, 0, 30)
	})
	// Clarification R-ORD-5 / R-LIC-1: licenses still pending are not on the account yet: they
	// cannot be assigned, and every view reports them as pending, apart from licensed.
	ruleCase(t, "R-ORD-5_R-LIC-1_pending_licenses_are_not_on_the_account_in_any_view", func(t *testing.T, e *env) {
		w := e.provisionedWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.buyOnto(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 2) // processed 12 hours ago: on the account
		e.assign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		sub := e.subscriptionIDs(w.Key, "E-1")["O365-E3"]
		if r := e.setQuantity(w.Key, sub, 1, true); len(r.Errors) > 0 {
			t.Fatalf("lowering with acceptConflict: %s", r.Raw)
		}
		// Three more bought now: pending for 12 hours.
		e.buy(w.Key, "E-1", "o2", t0Day, t0Day, "O365-E3", 3)
		available := t0.Add(12 * hour)
		wantSub(t, e.subsAt(w.Key, "E-1", time.Time{})["O365-E3"], "ACTIVE", 4, 3, 1)
		wantLicense(t, e.licenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licenseRow{Licensed: 1, Pending: 3, Assigned: 2, Available: 0})
		// Not assignable, and the refusal says why.
		e.addUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		ue := e.assignRefused(w.Key, w.AccountID, "O365-E3", "carol@fabrikam.com")
		onlyUserError(t, ue, "NOT_ENOUGH_LICENSES", "userNames")
		if !strings.Contains(ue[0].Message, "3 more are still pending") {
			t.Errorf("refusal message %q does not say 3 licenses are pending", ue[0].Message)
		}
		// The conflict counts the pending licenses apart, covering nobody yet: no need to buy.
		c := oneConflict(t, e.conflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 1, 0, 2, 1, []string{"bob@fabrikam.com"})
		if c.Pending != 3 || resolutionOf(c, "BUY_MORE") != nil {
			t.Fatalf("conflict with licenses pending: %+v", c)
		}
		wait := resolutionOf(c, "AWAIT_PENDING")
		if wait == nil || wait.NewTotal == nil || *wait.NewTotal != 4 || wait.AvailableAt == nil || *wait.AvailableAt != dateTime(available) || wait.Message == "" {
			t.Fatalf("AWAIT_PENDING: want newTotal 4 at %s, got %+v", dateTime(available), c.Resolutions)
		}
		if acc, total := e.accountsWithConflicts(w.Key, time.Time{}); total != 1 || acc[w.AccountID] != [2]int{1, 1} {
			t.Fatalf("accountsWithConflicts: %v (%d)", acc, total)
		}
		// The summary, grouped by pool and by subscription, says the same.
		want := map[string]summaryRow{"O365-E3": {Licensed: 1, Pending: 3, Assigned: 2}}
		wantSummary(t, "summary by SKU", e.summary(w.Key, []string{"SKU"}, nil, time.Time{}), want)
		wantSummary(t, "summary by enrollment and SKU", e.summary(w.Key, []string{"ENROLLMENT", "SKU"}, nil, time.Time{}),
			map[string]summaryRow{"E-1|O365-E3": {Licensed: 1, Pending: 3, Assigned: 1}, "|O365-E3": {Assigned: 1}})
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, time.Time{})

		// Twelve hours after processing they are on the account, in every view.
		wantSub(t, e.subsAt(w.Key, "E-1", available)["O365-E3"], "ACTIVE", 4, 0, 4)
		wantLicense(t, e.licenses(w.Key, w.AccountID, available), "O365-E3", licenseRow{Licensed: 4, Assigned: 2, Available: 2})
		if cs := e.conflicts(w.Key, w.AccountID, available); len(cs) != 0 {
			t.Fatalf("conflicts once available: %+v", cs)
		}
		if _, total := e.accountsWithConflicts(w.Key, available); total != 0 {
			t.Fatalf("accountsWithConflicts once available: %d", total)
		}
		wantSummary(t, "summary once available", e.summary(w.Key, []string{"SKU"}, nil, available),
			map[string]summaryRow{"O365-E3": {Licensed: 4, Assigned: 2, Available: 2}})
		e.wantSummaryMatchesLicenses(t, w.Key, w.AccountID, available)
		e.SetNow(available)
		wantPayloadLicense(t, e.assign(w.Key, w.AccountID, "O365-E3", "carol@fabrikam.com"), "O365-E3", licenseRow{Licensed: 4, Assigned: 3, Available: 1})
	})
	ruleCase(t, "R-ORD-5_pending_never_exceeds_the_quantity", func(t *testing.T, e *env) {
		// 100 processed (pending until T+12h), then the total is set to 50 (R-SUB-7) at once.
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.buy(w.Key, "ENR-1", "o1", t0Day, t0Day, "O365-E3", 100)
		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		p := e.mutate(w.Key, setQuantityDoc, map[string]any{"id": str(subs["O365-E3"], "id"), "q": 50})
		for _, sub := range []map[string]any{p["subscription"].(map[string]any), e.subsAt(w.Key, "ENR-1", t0.Add(time.Hour))["O365-E3"]} {
			q, pending, licensed := num(sub, "quantity"), num(sub, "pendingQuantity"), num(sub, "licensedQuantity")
			if q != 50 || pending < 0 || pending > q || licensed < 0 || licensed+pending != q {
				t.Errorf("asOf %s: quantity %d pending %d licensed %d; want quantity 50, 0 <= pending <= quantity, licensed = quantity - pending >= 0",
					str(sub, "asOf"), q, pending, licensed)
			}
		}
		wantSub(t, e.subsAt(w.Key, "ENR-1", t0.Add(12*time.Hour))["O365-E3"], "ACTIVE", 50, 0, 50)
	})
}

// Reservations (R-RES-1 to R-RES-4).
func TestReservations(t *testing.T) {
	ruleCase(t, "R-RES-1_added_at_once_billed_at_next_anniversary", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		r1 := e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 15, "vic@fabrikam.com", "r1"))
		if str(r1, "billingDate") != "2027-01-01" || str(r1, "status") != "PENDING" || !parseDateTime(t, r1["reservedAt"]).Equal(t0) || num(r1, "quantity") != 15 {
			t.Fatalf("reservation in 2026: %v", r1)
		}
		// Added at once: licensed now, not pending, before any processing.
		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 15, 0, 15)
		subs, _ = e.subsBySKU(w.Key, "ENR-1", t0.Add(-time.Second))
		wantSub(t, subs["O365-E3"], "ACTIVE", 0, 0, 0)

		e.SetNow(time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC))
		r2 := e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 8, "vic@fabrikam.com", "r2"))
		if str(r2, "billingDate") != "2028-01-01" {
			t.Fatalf("reservation after the 2027 anniversary: billingDate %s, want 2028-01-01", str(r2, "billingDate"))
		}
		subs, _ = e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 23, 0, 23)

		notBilled := func(at string) []string {
			d := e.ok(w.Key, reservationsDoc, map[string]any{"f": map[string]any{"notBilledAsOf": at}, "at": nil})
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
	ruleCase(t, "R-RES-1_refused_reservation_writes_nothing", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for _, c := range []struct {
			code, field string
			in          map[string]any
		}{
			{"INVALID_QUANTITY", "quantity", reservationIn("ENR-1", "O365-E3", 0, "vic@fabrikam.com", "k")},
			{"INVALID_QUANTITY", "quantity", reservationIn("ENR-1", "O365-E3", 1_000_001, "vic@fabrikam.com", "k")},
			{"UNKNOWN_SKU", "sku", reservationIn("ENR-1", "NOPE-1", 5, "vic@fabrikam.com", "k")},
			{"NOT_FOUND", "enrollmentNumber", reservationIn("ENR-404", "O365-E3", 5, "vic@fabrikam.com", "k")},
			{"REQUIRED", "idempotencyKey", reservationIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", " ")},
		} {
			onlyUserError(t, e.refusedPayload(t, w.Key, createReservationDoc, vars(c.in), "reservation"), c.code, c.field)
		}
		if n := e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("refused reservations wrote %d", n)
		}
		if _, n := e.subsBySKU(w.Key, "ENR-1", t0.Add(time.Hour)); n != 0 {
			t.Fatalf("refused reservations created %d subscriptions", n)
		}
		// The key was not taken.
		e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "k"))
	})
	ruleCase(t, "R-RES-1_enrollment_past_its_term_takes_no_reservation", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.SetNow(time.Date(2029, 2, 1, 9, 0, 0, 0, time.UTC)) // the enrollment ended 2028-12-31
		ue := e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "late")), "reservation")
		hasUserError(t, ue, "ENROLLMENT_NOT_ACTIVE", "enrollmentNumber")
	})
	ruleCase(t, "R-RES-2_who_may_reserve", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		refused := func(email, key string) {
			t.Helper()
			ue := e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-1", "O365-E3", 5, email, key)), "reservation")
			onlyUserError(t, ue, "NOT_PERMITTED", "contactEmail")
		}
		refused("olivia@fabrikam.com", "osm")    // the OSM, without MANAGE_RESERVATIONS
		refused("ana@fabrikam.com", "ana")       // an AGREEMENT_ADMINISTRATOR alone
		refused("mallory@fabrikam.com", "stray") // not a contact
		if _, n := e.subsBySKU(w.Key, "ENR-1", t0.Add(time.Hour)); n != 0 {
			t.Fatalf("refused reservations created %d subscriptions", n)
		}
		if n := e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("refused reservations wrote %d", n)
		}
		e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 5, "vic@fabrikam.com", "vic")) // VLSC_ADMINISTRATOR

		e.mutate(w.Key, grantPermissionDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		r := e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-granted"))
		if str(r, "contactEmail") != "olivia@fabrikam.com" {
			t.Fatalf("reservation by the OSM: %v", r)
		}

		// ONLINE_ADMINISTRATOR may reserve; roles are per agreement.
		a2 := e.mutate(w.Key, `mutation($c: ID!) { createAgreement(input: {customerId: $c, program: "ENTERPRISE", number: "EA-2",
			startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [{name: "Otto", email: "otto@fabrikam.com", roles: [ONLINE_ADMINISTRATOR]}]}) {
			agreement { id } userErrors { field code message } } }`, map[string]any{"c": w.CustomerID})
		e.enrollTerm(w.Key, str(a2, "agreement", "id"), "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		e.reserve(w.Key, reservationIn("ENR-2", "O365-E3", 3, "otto@fabrikam.com", "otto"))
		ue := e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-2", "O365-E3", 3, "vic@fabrikam.com", "vic-2")), "reservation")
		onlyUserError(t, ue, "NOT_PERMITTED", "contactEmail")

		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 7, 0, 7)
	})
	ruleCase(t, "R-RES-3_only_agreement_admin_grants_per_enrollment", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		e.enrollTerm(w.Key, w.AgreementID, "ENR-2", "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
		can := func(n string) bool {
			v, ok := get(e.ok(w.Key, osmCanReserveDoc, map[string]any{"n": n}), "enrollment", "osmCanManageReservations").(bool)
			if !ok {
				t.Fatalf("no osmCanManageReservations for %s", n)
			}
			return v
		}
		if can("ENR-1") || can("ENR-2") {
			t.Fatalf("an OSM holds MANAGE_RESERVATIONS by default")
		}
		for _, acting := range []string{"vic@fabrikam.com", "olivia@fabrikam.com", "mallory@fabrikam.com"} {
			ue := e.refusedPayload(t, w.Key, grantPermissionDoc, map[string]any{"n": "ENR-1", "a": acting}, "enrollment")
			onlyUserError(t, ue, "NOT_PERMITTED", "actingContactEmail")
		}
		if can("ENR-1") {
			t.Fatalf("a refused grant granted")
		}
		g := e.mutate(w.Key, grantPermissionDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		if get(g, "enrollment", "osmCanManageReservations") != true || str(g, "enrollment", "number") != "ENR-1" {
			t.Fatalf("grant payload: %v", g)
		}
		if !can("ENR-1") || can("ENR-2") {
			t.Fatalf("the grant is per enrollment: ENR-1 %v ENR-2 %v, want true false", can("ENR-1"), can("ENR-2"))
		}
		e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-1"))
		ue := e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-2", "O365-E3", 2, "olivia@fabrikam.com", "osm-2")), "reservation")
		onlyUserError(t, ue, "NOT_PERMITTED", "contactEmail")

		// Revoking is the agreement administrator's too.
		onlyUserError(t, e.refusedPayload(t, w.Key, revokePermissionDoc, map[string]any{"n": "ENR-1", "a": "vic@fabrikam.com"}, "enrollment"), "NOT_PERMITTED", "actingContactEmail")
		if !can("ENR-1") {
			t.Fatalf("a refused revoke revoked")
		}
		rv := e.mutate(w.Key, revokePermissionDoc, map[string]any{"n": "ENR-1", "a": "ana@fabrikam.com"})
		if get(rv, "enrollment", "osmCanManageReservations") != false || can("ENR-1") {
			t.Fatalf("after revoke: %v", rv)
		}
		ue = e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-1", "O365-E3", 2, "olivia@fabrikam.com", "osm-3")), "reservation")
		onlyUserError(t, ue, "NOT_PERMITTED", "contactEmail")
	})
	ruleCase(t, "R-RES-4_pending_effective_overdue", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		T := t0
		r := e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 6, "vic@fabrikam.com", "rk"))
		if str(r, "status") != "PENDING" || r["processedAt"] != nil || !parseDateTime(t, r["overdueAt"]).Equal(T.Add(25*time.Hour)) {
			t.Fatalf("new reservation: %v", r)
		}
		overdue := func(at time.Time) bool {
			d := e.ok(w.Key, reservationsDoc, map[string]any{"f": nil, "at": dateTime(at)})
			v, ok := get(d, "reservations", "edges", 0, "node", "overdue").(bool)
			if !ok {
				t.Fatalf("no overdue in %v", d)
			}
			return v
		}
		listedOverdue := func(at time.Time) int {
			return e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": map[string]any{"overdueAsOf": dateTime(at)}, "at": nil})
		}
		if overdue(T.Add(24*time.Hour+59*time.Minute)) || listedOverdue(T.Add(24*time.Hour+59*time.Minute)) != 0 {
			t.Fatalf("overdue before 25 hours")
		}
		if !overdue(T.Add(25*time.Hour)) || listedOverdue(T.Add(25*time.Hour)) != 1 {
			t.Fatalf("not overdue at 25 hours: overdue=%v listed=%d", overdue(T.Add(25*time.Hour)), listedOverdue(T.Add(25*time.Hour)))
		}

		// Idempotency: the same key and content return the same reservation and add once.
		again := e.reserve(w.Key, reservationIn("ENR-1", "O365-E3", 6, "vic@fabrikam.com", "rk"))
		if str(again, "id") != str(r, "id") {
			t.Fatalf("retry made another reservation: %v", again)
		}
		onlyUserError(t, e.refusedPayload(t, w.Key, createReservationDoc, vars(reservationIn("ENR-1", "O365-E3", 7, "vic@fabrikam.com", "rk")), "reservation"),
			"IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
		subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 6, 0, 6)
		if n := e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 1 {
			t.Fatalf("reservations totalCount %d, want 1", n)
		}

		// Processing is an operator action.
		if rr := e.do(w.Key, processReservationDoc, map[string]any{"id": str(r, "id")}); rr.errCode() != "FORBIDDEN" {
			t.Fatalf("processReservation by a RESELLER key: %s", rr.Raw)
		}
		P := T.Add(26 * time.Hour)
		e.SetNow(P)
		if !overdue(P) {
			t.Fatalf("not overdue at +26h by the server clock")
		}
		pr := e.mutate(e.Operator, processReservationDoc, map[string]any{"id": str(r, "id")})
		if str(pr, "reservation", "status") != "EFFECTIVE" || !parseDateTime(t, get(pr, "reservation", "processedAt")).Equal(P) {
			t.Fatalf("processed reservation: %v", pr)
		}
		if overdue(T.Add(30*time.Hour)) || listedOverdue(T.Add(30*time.Hour)) != 0 {
			t.Fatalf("an EFFECTIVE reservation is still overdue")
		}
		if n := e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": map[string]any{"status": "EFFECTIVE"}, "at": nil}); n != 1 {
			t.Fatalf("reservations(status: EFFECTIVE) totalCount %d", n)
		}
		onlyUserError(t, e.refusedPayload(t, e.Operator, processReservationDoc, map[string]any{"id": str(r, "id")}, "reservation"), "RESERVATION_NOT_PENDING", "reservationId")
		// Processing adds nothing: the licenses were added when reserved.
		subs, _ = e.subsBySKU(w.Key, "ENR-1", time.Time{})
		wantSub(t, subs["O365-E3"], "ACTIVE", 6, 0, 6)
	})
}
