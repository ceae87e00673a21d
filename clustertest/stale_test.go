package clustertest

import (
	"fmt"
	"testing"
)

// TestReadYourWritesAcrossNodes: a client writes through one server and at once reads, or
// writes what depends on it, through another server on another Galera node, 200 times, in
// both directions. Every read must see the write (wsrep_sync_wait, issue 12 part 2).
func TestReadYourWritesAcrossNodes(t *testing.T) {
	c := newGalera(t)
	key := c.reseller("Contoso")
	dom := domain("ryw")
	d := c.newDeal(key, "ENTERPRISE", dom)
	acc := c.newAccount(key, d.customer, dom, 1)
	sub := str(c.must(0, key, directDoc, map[string]any{"a": acc, "q": 100}), "createDirectSubscription", "subscription", "id")
	const pairs = 200
	staleQuantity, refusedDependent, staleAgreement := 0, 0, 0
	for i := range pairs {
		w, r := i%2, (i+1)%2 // server 1 then 2, then 2 then 1
		if i%4 < 2 {
			// An update, then a read of it.
			q := 101 + i
			c.must(w, key, setQuantityDoc, map[string]any{"id": sub, "q": q})
			got := c.must(r, key, `query($id: ID!) { node(id: $id) { ... on Subscription { quantity } } }`, map[string]any{"id": sub})
			if n, _ := get(got, "node", "quantity").(float64); int(n) != q {
				staleQuantity++
				t.Logf("pair %d: quantity set to %d through server %d, read %v through server %d", i, q, w+1, n, r+1)
			}
			continue
		}
		// A new customer, then an agreement for it (a write that depends on the first).
		cu := c.must(w, key, `mutation { createCustomer(input: {organizationName: "Northwind", country: "US"}) { customer { id } `+ue+` } }`, nil)
		number := fmt.Sprint("RYW-", next())
		res := c.do(r, key, `mutation($c: ID!, $n: String!) { createAgreement(input: {customerId: $c, program: "ENTERPRISE", number: $n,
			startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: []}) { agreement { id } `+ue+` } }`,
			map[string]any{"c": str(cu, "createCustomer", "customer", "id"), "n": number})
		switch res.kind() {
		case "ok":
			// And back through the first server: a read by number runs as a prepared statement
			// (models.preparedRead), which must wait for the node to catch up as text does.
			got := c.must(w, key, `query($n: String!) { agreement(number: $n) { number } }`, map[string]any{"n": number})
			if get(got, "agreement", "number") != number {
				staleAgreement++
				t.Logf("pair %d: agreement %s created through server %d, read %v through server %d", i, number, r+1, get(got, "agreement"), w+1)
			}
		case "refused:NOT_FOUND":
			refusedDependent++
			t.Logf("pair %d: customer created through server %d, not found through server %d", i, w+1, r+1)
		default:
			t.Fatalf("pair %d: createAgreement: %s\n%s", i, res.kind(), res.raw)
		}
	}
	t.Logf("%d write-then-read pairs across two nodes: %d stale quantities of %d, %d dependent writes refused NOT_FOUND of %d, %d new agreements not found by number",
		pairs, staleQuantity, pairs/2, refusedDependent, pairs/2, staleAgreement)
	if staleQuantity+refusedDependent+staleAgreement > 0 {
		t.Errorf("%d of %d pairs read before the write", staleQuantity+refusedDependent+staleAgreement, pairs)
	}
}
