package clustertest

// Invariants that must hold however many servers and nodes take the writes (issue 12, part 1):
// each round makes fresh objects, then sends conflicting writes through every server at once,
// and checks the outcome by SQL on every node. A write refused by the rules or answered 503
// (the client retries) is fine; a state the rules forbid is a violation.

import (
	"context"
	"fmt"
	"testing"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv/concurrent"
)

const rounds = 10

const (
	directDoc = `mutation($a: ID!, $q: Int!) { createDirectSubscription(input: {accountId: $a, sku: "INTUNE", quantity: $q, endDate: "2027-12-31"}) {
		subscription { id } ` + ue + ` } }`
	setQuantityDoc = `mutation($id: ID!, $q: Int!) { setSubscriptionQuantity(input: {subscriptionId: $id, quantity: $q}) { subscription { quantity } ` + ue + ` } }`
	assignDoc      = `mutation($a: ID!, $u: [String!]!) { assignLicenses(input: {accountId: $a, sku: "INTUNE", userNames: $u}) { changedUsers ` + ue + ` } }`
	redeemDoc      = `mutation($k: String!, $a: ID!) { redeemProductKey(input: {productKey: $k, accountId: $a}) { productKey { key } ` + ue + ` } }`
	activateDoc    = `mutation($t: String!, $a: ID!) { activateEnrollment(input: {token: $t, accountId: $a}) { enrollment { id } ` + ue + ` } }`
	reserveDoc     = `mutation($in: CreateReservationInput!) { createReservation(input: $in) { reservation { id } ` + ue + ` } }`
	processResDoc  = `mutation($id: ID!) { processReservation(input: {reservationId: $id}) { reservation { id status } ` + ue + ` } }`
	grantDoc       = `mutation($n: String!, $by: String!) { grantReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $by}) { enrollment { id } ` + ue + ` } }`
	revokeDoc      = `mutation($n: String!, $by: String!) { revokeReservationPermission(input: {enrollmentNumber: $n, actingContactEmail: $by}) { enrollment { id } ` + ue + ` } }`
)

func TestInvariants(t *testing.T) {
	forEachCluster(t, func(t *testing.T, c *cluster) {
		key := c.with(t).reseller("Contoso")
		run := func(name string, fn func(c *cluster, key string)) {
			t.Run(name, func(t *testing.T) { fn(c.with(t), key) })
		}
		run("R-LIC-6_lowering_a_quantity_while_assigning_never_oversells", oversell)
		run("R-LIC-6_two_quantities_of_one_pool_lowered_at_once_never_oversell", twoLowerings)
		run("R-LIC-5_a_user_deleted_while_assigned_leaves_no_license_behind", deleteWhileAssigning)
		run("R-ORD-2_one_order_per_idempotency_key", oneOrderPerKey)
		run("one_subscription_per_SKU_and_orders_processed_once", oneSubscriptionPerSKU)
		run("R-ACT-13_one_redemption_per_product_key", oneRedemptionPerKey)
		run("R-ACT-9_one_activation_per_enrollment", oneActivationPerEnrollment)
		run("R-RES-1_one_reservation_per_key_processed_once", reservationsOnce)
		run("R-RES-3_permission_granted_at_once_everywhere_is_one_grant", concurrentGrants)
		run("R-RES-3_permission_granted_or_revoked_through_one_server_holds_on_the_others", permissionsAcrossServers)
		run("webhook_endpoints_created_at_once_stay_within_the_cap", endpointCap)
		// Last: every write above, through every server at once, kept the summary's rollup.
		run("R-BI-1_R-BI-2_the_summary_rollup_matches_the_ledger_on_every_node", rollupMatchesLedger)
	})
}

// rollupMatchesLedger: after the rounds above, each node's rollup (license_cells) equals what
// the slow path recomputes from the ledger for every pool that claims to hold at the servers'
// instant (models.CheckLicenseCells; a pool left invalid is not used and not drift).
func rollupMatchesLedger(c *cluster, _ string) {
	for i, s := range c.stores {
		d, err := s.CheckLicenseCells(context.Background(), now, 3)
		if err != nil {
			c.t.Fatal(err)
		}
		if !d.Built || d.Drifted > 0 || d.Pools == 0 {
			c.t.Errorf("node %d: %+v", i+1, d)
		}
	}
}

// with is c for another (sub)test.
func (c *cluster) with(t testing.TB) *cluster {
	cc := *c
	cc.t = t
	return &cc
}

// domain is a fresh email domain.
func domain(what string) string { return fmt.Sprintf("%s%d.example", what, next()) }

// oversell: one server lowers a subscription 100 -> 50 while another assigns 60 users, without
// acceptConflict. Both may not succeed: that leaves 60 assigned on 50 licensed (R-LIC-6, R-LIC-1).
func oversell(c *cluster, key string) {
	t := c.t
	// Lowering reads the assignments and writes the subscription; assigning reads the
	// subscription and writes assignments and the pool counter. SELECT ... FOR UPDATE on the
	// account locks one node only, so both also write the account row (models.guard): on two
	// Galera nodes the second to commit fails certification and runs again.
	violations := 0
	outcomes := map[string]int{}
	for round := range rounds {
		acc, users := c.accountWithUsers(key, "over", 60)
		sub := str(c.must(0, key, directDoc, map[string]any{"a": acc, "q": 100}), "createDirectSubscription", "subscription", "id")
		rs := concurrent.AllAtOnce(2, func(j int) result {
			if j == 0 {
				return c.do(round, key, setQuantityDoc, map[string]any{"id": sub, "q": 50})
			}
			return c.do(round+1, key, assignDoc, map[string]any{"a": acc, "u": users})
		})
		noFaults(t, "oversell", rs)
		outcomes["lowering "+rs[0].kind()+", assigning "+rs[1].kind()]++
		licensed := c.onEveryNode("SELECT quantity FROM subscriptions WHERE id = ?", dbID(t, sub))
		assigned := c.onEveryNode("SELECT COUNT(*) FROM license_assignments WHERE account_id = ? AND sku = 'INTUNE'", dbID(t, acc))
		if assigned > licensed {
			violations++
			t.Logf("round %d: %d assigned on %d licensed (lowering: %s, assigning: %s)", round, assigned, licensed, rs[0].kind(), rs[1].kind())
		}
		if (rs[0].kind() == "ok") != (licensed == 50) || (rs[1].kind() == "ok") != (assigned == 60) {
			t.Errorf("round %d: the answers (%s, %s) do not match the database (%d licensed, %d assigned)", round, rs[0].kind(), rs[1].kind(), licensed, assigned)
		}
	}
	t.Logf("outcomes over %d rounds: %v", rounds, outcomes)
	if violations > 0 {
		t.Errorf("oversold in %d of %d rounds", violations, rounds)
	}
}

// oneOrderPerKey: two createOrder calls per server with one idempotency key and one content.
func oneOrderPerKey(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		d := c.newDeal(key, "ENTERPRISE", domain("idem"))
		idem := fmt.Sprint("idem-", round)
		rs := concurrent.AllAtOnce(2*c.n(), func(j int) result { return c.do(j, key, createOrderDoc, orderInput(d.number, idem, "INTUNE", 10)) })
		noFaults(t, "createOrder", rs)
		ids := map[string]bool{}
		for _, r := range rs {
			if r.kind() == "ok" {
				ids[str(r.data, "createOrder", "order", "id")] = true
			}
		}
		n := c.onEveryNode("SELECT COUNT(*) FROM orders WHERE enrollment_id = ? AND idempotency_key = ?", dbID(t, d.enrollment), idem)
		if n != 1 || len(ids) != 1 {
			t.Errorf("round %d: %d orders stored and %d order ids answered for one key, want 1 and 1 (%v)", round, n, len(ids), tally(rs))
		}
	}
}

// oneSubscriptionPerSKU: one order per server for the same SKU and enrollment, each processed
// through two servers at once: one subscription holds the sum of the orders processed, each once.
func oneSubscriptionPerSKU(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		d := c.newDeal(key, "ENTERPRISE", domain("sku"))
		orders := make([]string, c.n())
		for j := range orders {
			orders[j] = c.order(0, key, d.number, fmt.Sprintf("sku-%d-%d", round, j), "INTUNE", 10)
		}
		rs := concurrent.AllAtOnce(2*c.n(), func(j int) result { return c.do(j, c.op, processOrderDoc, map[string]any{"id": orders[j/2]}) })
		noFaults(t, "processOrder", rs)
		enr := dbID(t, d.enrollment)
		subs := c.onEveryNode("SELECT COUNT(*) FROM subscriptions WHERE enrollment_id = ? AND sku = 'INTUNE'", enr)
		processed := c.onEveryNode("SELECT COUNT(*) FROM orders WHERE enrollment_id = ? AND status = 'PROCESSED'", enr)
		quantity := c.onEveryNode("SELECT COALESCE(SUM(quantity), 0) FROM subscriptions WHERE enrollment_id = ? AND sku = 'INTUNE'", enr)
		ok := tally(rs)["ok"]
		if subs != 1 || quantity != 10*processed || int64(ok) != processed {
			t.Errorf("round %d: %d subscriptions with %d licenses for %d orders processed (%d answered ok), want 1 with 10 each (%v)",
				round, subs, quantity, processed, ok, tally(rs))
		}
	}
}

// oneRedemptionPerKey: one Open Value product key redeemed onto a different account through
// every server at once.
func oneRedemptionPerKey(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		d := c.newDeal(key, "OPEN_VALUE", domain("ov"))
		o := c.order(0, key, d.number, fmt.Sprint("ov-", round), "INTUNE", 5)
		p := c.must(0, c.op, processOrderDoc, map[string]any{"id": o})
		pk := str(p, "processOrder", "order", "productKeys", 0, "key")
		if pk == "" {
			t.Fatalf("no product key: %v", p)
		}
		accounts := make([]string, c.n())
		for j := range accounts {
			accounts[j] = c.newAccount(key, d.customer, domain("acc"), 1)
		}
		rs := concurrent.AllAtOnce(c.n(), func(j int) result { return c.do(j, key, redeemDoc, map[string]any{"k": pk, "a": accounts[j]}) })
		noFaults(t, "redeemProductKey", rs)
		winner := -1
		for j, r := range rs {
			if r.kind() == "ok" {
				if winner >= 0 {
					t.Errorf("round %d: the key was redeemed onto accounts %d and %d", round, winner, j)
				}
				winner = j
			}
		}
		redeemed := c.onEveryNode("SELECT COUNT(*) FROM product_keys WHERE product_key = ? AND redeemed_account_id IS NOT NULL", pk)
		if winner < 0 {
			if redeemed != 0 {
				t.Errorf("round %d: no redemption answered ok, yet the key is redeemed (%v)", round, tally(rs))
			}
			continue
		}
		onWinner := c.onEveryNode("SELECT COUNT(*) FROM product_keys WHERE product_key = ? AND redeemed_account_id = ?", pk, dbID(t, accounts[winner]))
		enrolled := c.onEveryNode("SELECT COUNT(*) FROM enrollments WHERE id = ? AND account_id = ?", dbID(t, d.enrollment), dbID(t, accounts[winner]))
		if redeemed != 1 || onWinner != 1 || enrolled != 1 {
			t.Errorf("round %d: redeemed %d, onto the answered account %d, enrollment there %d; want 1, 1, 1 (%v)", round, redeemed, onWinner, enrolled, tally(rs))
		}
	}
}

// oneActivationPerEnrollment: one activation link used onto a different account through every
// server at once.
func oneActivationPerEnrollment(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		d := c.newDeal(key, "ENTERPRISE", domain("act"))
		o := c.order(0, key, d.number, fmt.Sprint("act-", round), "INTUNE", 5)
		c.must(0, c.op, processOrderDoc, map[string]any{"id": o})
		token := c.activationToken(d.number)
		accounts := make([]string, c.n())
		for j := range accounts {
			accounts[j] = c.newAccount(key, d.customer, domain("acc"), 1)
		}
		rs := concurrent.AllAtOnce(c.n(), func(j int) result { return c.do(j, key, activateDoc, map[string]any{"t": token, "a": accounts[j]}) })
		noFaults(t, "activateEnrollment", rs)
		var won []int
		for j, r := range rs {
			if r.kind() == "ok" {
				won = append(won, j)
			}
		}
		if len(won) > 1 {
			t.Errorf("round %d: activated onto the accounts of servers %v", round, won)
			continue
		}
		if len(won) == 1 {
			if n := c.onEveryNode("SELECT COUNT(*) FROM enrollments WHERE id = ? AND account_id = ?", dbID(t, d.enrollment), dbID(t, accounts[won[0]])); n != 1 {
				t.Errorf("round %d: the enrollment is not on the account the answer names (%v)", round, tally(rs))
			}
		} else if n := c.onEveryNode("SELECT COUNT(*) FROM enrollments WHERE id = ? AND account_id IS NOT NULL", dbID(t, d.enrollment)); n != 0 {
			t.Errorf("round %d: no activation answered ok, yet the enrollment is on an account (%v)", round, tally(rs))
		}
	}
}

// reservationsOnce: two createReservation calls per server with one idempotency key, then two
// processReservation calls per server: one reservation, its licenses added once, processed once.
func reservationsOnce(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		dom := domain("res")
		d := c.newDeal(key, "ENTERPRISE", dom)
		in := map[string]any{"in": map[string]any{"enrollmentNumber": d.number, "sku": "INTUNE", "quantity": 7, "contactEmail": "vic@" + dom,
			"idempotencyKey": fmt.Sprint("res-", round)}}
		rs := concurrent.AllAtOnce(2*c.n(), func(j int) result { return c.do(j, key, reserveDoc, in) })
		noFaults(t, "createReservation", rs)
		enr := dbID(t, d.enrollment)
		stored := c.onEveryNode("SELECT COUNT(*) FROM reservations WHERE enrollment_id = ?", enr)
		quantity := c.onEveryNode("SELECT COALESCE(SUM(quantity), 0) FROM subscriptions WHERE enrollment_id = ? AND sku = 'INTUNE'", enr)
		if stored != 1 || quantity != 7 {
			t.Errorf("round %d: %d reservations adding %d licenses for one key, want 1 adding 7 (%v)", round, stored, quantity, tally(rs))
			continue
		}
		var id string
		for _, r := range rs {
			if r.kind() == "ok" {
				id = str(r.data, "createReservation", "reservation", "id")
			}
		}
		if id == "" {
			continue // every call answered 503, yet one stored: a client retry would return it
		}
		ps := concurrent.AllAtOnce(2*c.n(), func(j int) result { return c.do(j, c.op, processResDoc, map[string]any{"id": id}) })
		noFaults(t, "processReservation", ps)
		effective := c.onEveryNode("SELECT COUNT(*) FROM reservations WHERE id = ? AND status = 'EFFECTIVE'", dbID(t, id))
		if n := tally(ps)["ok"]; n > 1 || (n == 1) != (effective == 1) {
			t.Errorf("round %d: processed %d times, effective %d (%v)", round, n, effective, tally(ps))
		}
	}
}

// concurrentGrants: MANAGE_RESERVATIONS granted through every server at once is one grant, and
// every call is answered (granting twice keeps the first grant, R-RES-3).
func concurrentGrants(c *cluster, key string) {
	t := c.t
	// Two grants at once on two nodes: both count no grant and insert; the second fails
	// certification or hits the unique key, runs again and finds the first grant.
	for round := range rounds {
		dom := domain("grant")
		d := c.newDeal(key, "ENTERPRISE", dom)
		rs := concurrent.AllAtOnce(2*c.n(), func(j int) result { return c.do(j, key, grantDoc, map[string]any{"n": d.number, "by": "ana@" + dom}) })
		noFaults(t, "grantReservationPermission", rs)
		if n := c.onEveryNode("SELECT COUNT(*) FROM reservation_permissions WHERE enrollment_id = ?", dbID(t, d.enrollment)); n != 1 {
			t.Errorf("round %d: %d grants stored, want 1 (%v)", round, n, tally(rs))
		}
	}
}

// permissionsAcrossServers: the OSM reserves through another server right after a grant, and is
// refused right after a revoke through another server (R-RES-2, R-RES-3): a replica reads what
// another replica just wrote.
func permissionsAcrossServers(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		dom := domain("perm")
		d := c.newDeal(key, "ENTERPRISE", dom)
		vars := map[string]any{"n": d.number, "by": "ana@" + dom}
		reserve := func(server int, idem string) result {
			return c.do(server, key, reserveDoc, map[string]any{"in": map[string]any{"enrollmentNumber": d.number, "sku": "INTUNE", "quantity": 1,
				"contactEmail": "osm@" + dom, "idempotencyKey": fmt.Sprintf("%s-%d", idem, round)}})
		}
		c.must(round, key, grantDoc, vars)
		if r := reserve(round+1, "after-grant"); r.kind() != "ok" {
			t.Errorf("round %d: the OSM was refused right after a grant through another server: %s", round, r.kind())
		}
		c.must(round, key, revokeDoc, vars)
		if r := reserve(round+1, "after-revoke"); r.kind() != "refused:NOT_PERMITTED" {
			t.Errorf("round %d: right after a revoke through another server the OSM's reservation was answered %s, want NOT_PERMITTED", round, r.kind())
		}
		if n := c.onEveryNode("SELECT COUNT(*) FROM reservations WHERE enrollment_id = ?", dbID(t, d.enrollment)); n != 1 {
			t.Errorf("round %d: %d reservations stored, want the one made while granted", round, n)
		}
	}
}

// accountWithUsers makes a new ENTERPRISE deal in a domain of its own (named by prefix) and an
// account of its customer with n users, whose names it returns.
func (c *cluster) accountWithUsers(key, prefix string, n int) (string, []string) {
	dom := domain(prefix)
	d := c.newDeal(key, "ENTERPRISE", dom)
	acc := c.newAccount(key, d.customer, dom, n)
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("u%d@%s", i, dom)
	}
	return acc, users
}

// twoLowerings: two subscriptions of one pool, 100 each with 120 users assigned, each lowered to
// 50 through another server at once, without acceptConflict. Either alone leaves 150 licensed;
// both leave 100 on 120 assigned (R-LIC-6). Each writes its own subscription row, so only the
// account row both write (models.guard) makes the second fail certification on Galera.
func twoLowerings(c *cluster, key string) {
	t := c.t
	violations := 0
	for round := range rounds {
		acc, users := c.accountWithUsers(key, "low", 120)
		subs := []string{
			str(c.must(0, key, directDoc, map[string]any{"a": acc, "q": 100}), "createDirectSubscription", "subscription", "id"),
			str(c.must(0, key, directDoc, map[string]any{"a": acc, "q": 100}), "createDirectSubscription", "subscription", "id"),
		}
		c.must(0, key, assignDoc, map[string]any{"a": acc, "u": users})
		rs := concurrent.AllAtOnce(2, func(j int) result { return c.do(round+j, key, setQuantityDoc, map[string]any{"id": subs[j], "q": 50}) })
		noFaults(t, "setSubscriptionQuantity", rs)
		licensed := c.onEveryNode("SELECT COALESCE(SUM(quantity), 0) FROM subscriptions WHERE direct_account_id = ?", dbID(t, acc))
		assigned := c.onEveryNode("SELECT COUNT(*) FROM license_assignments WHERE account_id = ?", dbID(t, acc))
		if licensed < assigned {
			violations++
			t.Logf("round %d: %d assigned on %d licensed (%v)", round, assigned, licensed, tally(rs))
		}
		if ok := tally(rs)["ok"]; licensed != int64(200-50*ok) {
			t.Errorf("round %d: %d lowerings answered ok, yet %d licensed", round, ok, licensed)
		}
	}
	if violations > 0 {
		t.Errorf("oversold in %d of %d rounds", violations, rounds)
	}
}

// deleteWhileAssigning: a user deleted through one server while assigned a license through
// another. Deleting first refuses the assignment (NOT_FOUND); assigning first frees the license
// with the user (R-LIC-5). Never an assignment of a user that no longer exists, and the pool's
// counter always equals its assignments.
func deleteWhileAssigning(c *cluster, key string) {
	t := c.t
	for round := range rounds {
		dom := domain("del")
		d := c.newDeal(key, "ENTERPRISE", dom)
		acc := c.newAccount(key, d.customer, dom, 2)
		c.must(0, key, directDoc, map[string]any{"a": acc, "q": 10})
		c.must(0, key, assignDoc, map[string]any{"a": acc, "u": []string{"u1@" + dom}})
		rs := concurrent.AllAtOnce(2, func(j int) result {
			if j == 0 {
				return c.do(round, key, `mutation($a: ID!, $u: String!) { deleteAccountUser(input: {accountId: $a, userName: $u}) { freedSkus `+ue+` } }`,
					map[string]any{"a": acc, "u": "u0@" + dom})
			}
			return c.do(round+1, key, assignDoc, map[string]any{"a": acc, "u": []string{"u0@" + dom, "u1@" + dom}})
		})
		noFaults(t, "deleteAccountUser and assignLicenses", rs)
		a := dbID(t, acc)
		orphans := c.onEveryNode(`SELECT COUNT(*) FROM license_assignments la LEFT JOIN account_users u ON u.id = la.user_id
			WHERE la.account_id = ? AND u.id IS NULL`, a)
		assigned := c.onEveryNode("SELECT COUNT(*) FROM license_assignments WHERE account_id = ?", a)
		counted := c.onEveryNode("SELECT COALESCE(SUM(assigned), 0) FROM license_pools WHERE account_id = ?", a)
		if orphans != 0 || assigned != counted {
			t.Errorf("round %d: %d licenses of deleted users, %d assignments counted as %d (%v)", round, orphans, assigned, counted, tally(rs))
		}
	}
}

// endpointCap: a reseller with one endpoint short of the cap creates one more through every
// server at once (twice each): one is created, the others are refused, never above the cap.
func endpointCap(c *cluster, _ string) {
	t := c.t
	const create = `mutation($u: String!) { createWebhookEndpoint(input: {url: $u, topics: [ORDER_CREATED], description: "erp"}) { endpoint { id } ` + ue + ` } }`
	for round := range rounds {
		key := c.reseller(fmt.Sprint("Capped ", round))
		for i := range models.MaxWebhookEndpoints - 1 {
			c.must(0, key, create, map[string]any{"u": fmt.Sprintf("https://partner.example.com/hooks/%d", i)})
		}
		rs := concurrent.AllAtOnce(2*c.n(), func(j int) result {
			return c.do(j, key, create, map[string]any{"u": fmt.Sprintf("https://partner.example.com/late/%d", j)})
		})
		noFaults(t, "createWebhookEndpoint", rs)
		var id string
		for _, r := range rs {
			if r.kind() == "ok" {
				id = str(r.data, "createWebhookEndpoint", "endpoint", "id")
			}
		}
		if id == "" {
			t.Fatalf("round %d: no endpoint created (%v)", round, tally(rs))
		}
		n := c.onEveryNode("SELECT COUNT(*) FROM webhook_endpoints WHERE reseller_id = (SELECT reseller_id FROM webhook_endpoints WHERE id = ?)", dbID(t, id))
		if n != models.MaxWebhookEndpoints || tally(rs)["ok"] != 1 {
			t.Errorf("round %d: %d endpoints stored, want %d (%v)", round, n, models.MaxWebhookEndpoints, tally(rs))
		}
	}
}
