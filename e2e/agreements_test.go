package e2e

import "testing"

// R-AGR-4: eligibility for the volume discount is reported, never a refusal.
func TestAgreementVolumeDiscount(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("R-AGR-4_enterprise_eligible_from_250_active_seats", func(t *testing.T) {
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-250", "ENR-250")
			// 249 seats plus 50 GB of storage: gigabytes are no seats.
			o := e.mutate(w.Key, `mutation { createOrder(input: {enrollmentNumber: "ENR-250", purchaseDate: "2026-11-23", usageStartDate: "2026-11-23",
				idempotencyKey: "agr4", lines: [{sku: "O365-E3", quantity: 249}, {sku: "D365-SALES-PRO", quantity: 1}, {sku: "D365-ADD-STORAGE", quantity: 50}]})
				{ order { id } userErrors { field code message } } }`, nil)
			e.mutate(e.Operator, `mutation($o: ID!) { processOrder(input: {orderId: $o}) { order { status } userErrors { field code message } } }`,
				map[string]any{"o": str(o, "order", "id")})
			q := `query($n: String!) { agreement(number: $n) { activeSeats volumeDiscountEligible
				enrollments { edges { node { subscriptions { edges { node { id sku { code } } } } } } } } }`
			d := e.ok(w.Key, q, map[string]any{"n": "EA-250"})
			if got := num(d, "agreement", "activeSeats"); got != 250 { // 249 E3 + 1 Sales Pro
				t.Fatalf("activeSeats = %d, want 250", got)
			}
			if get(d, "agreement", "volumeDiscountEligible") != true {
				t.Fatalf("250 seats: want eligible, got %v", get(d, "agreement", "volumeDiscountEligible"))
			}
			var e3 string
			for _, edge := range get(d, "agreement", "enrollments", "edges", 0, "node", "subscriptions", "edges").([]any) {
				if str(edge, "node", "sku", "code") == "O365-E3" {
					e3 = str(edge, "node", "id")
				}
			}
			e.mutate(w.Key, `mutation($s: ID!) { setSubscriptionQuantity(input: {subscriptionId: $s, quantity: 248}) { subscription { quantity } userErrors { field code message } } }`,
				map[string]any{"s": e3})
			d = e.ok(w.Key, q, map[string]any{"n": "EA-250"})
			if num(d, "agreement", "activeSeats") != 249 || get(d, "agreement", "volumeDiscountEligible") != false {
				t.Fatalf("249 seats: got %v", d["agreement"])
			}
			// An Open Value agreement is never eligible, whatever its size.
			v := e.newWorld("Tailspin", "OPEN_VALUE", "V-300", "ENR-V300")
			o = e.mutate(v.Key, `mutation { createOrder(input: {enrollmentNumber: "ENR-V300", purchaseDate: "2026-11-23", usageStartDate: "2026-11-23",
				idempotencyKey: "agr4v", lines: [{sku: "O365-E3", quantity: 300}]}) { order { id } userErrors { field code message } } }`, nil)
			e.mutate(e.Operator, `mutation($o: ID!) { processOrder(input: {orderId: $o}) { order { status } userErrors { field code message } } }`,
				map[string]any{"o": str(o, "order", "id")})
			d = e.ok(v.Key, q, map[string]any{"n": "V-300"})
			if num(d, "agreement", "activeSeats") != 300 || get(d, "agreement", "volumeDiscountEligible") != false {
				t.Fatalf("Open Value with 300 seats: got %v", d["agreement"])
			}
		})
	})
}

// Numbers are one spelling on every engine: trimmed and upper case (MariaDB's collation would
// otherwise match "ea-1" to "EA-1" while SQLite would not).
func TestNumbersAreCaseInsensitive(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		t.Run("R-AGR-2_numbers_compare_trimmed_and_case_insensitive", func(t *testing.T) {
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
			doc := `mutation($c: ID!, $p: String!, $n: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
				startDate: "2026-01-01", anniversaryDate: "2027-01-01"}) { agreement { number } userErrors { field code message } } }`
			hasUserError(t, e.refused(w.Key, doc, map[string]any{"c": w.CustomerID, "p": "ENTERPRISE", "n": " ea-1"}), "TAKEN", "number")
			// R-AGR-1 reads the normalized number: "v2000002" is the Open Value number V2000002.
			p := e.mutate(w.Key, doc, map[string]any{"c": w.CustomerID, "p": "OPEN_VALUE", "n": "v2000002"})
			if got := str(p, "agreement", "number"); got != "V2000002" {
				t.Fatalf("stored number %q, want V2000002", got)
			}
			d := e.ok(w.Key, `{ a: agreement(number: "ea-1") { number } e: enrollment(number: " enr-1 ") { number } }`, nil)
			if str(d, "a", "number") != "EA-1" || str(d, "e", "number") != "ENR-1" {
				t.Fatalf("lookups by another spelling: %v", d)
			}
		})
	})
}
