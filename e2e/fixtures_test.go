package e2e

import (
	"reflect"
	"sort"
	"testing"
	"time"
)

// The records and steps every e2e test builds on: resellers and their keys, customers with
// agreements, enrollments and accounts, orders bought, reservations, direct purchases, and the
// subscriptions they make, as a client sees them.

// world is a reseller with a key, a customer, an agreement, an enrollment and an account.
type world struct {
	Key, ResellerID, CustomerID, AgreementID, EnrollmentID, AccountID string
}

// newReseller creates a reseller and a RESELLER key for it.
func (e *env) newReseller(name string) (key, id string) {
	e.t.Helper()
	p := e.mutate(e.Operator, `mutation($n: String!) { createReseller(input: {name: $n}) { reseller { id } userErrors { field code message } } }`, map[string]any{"n": name})
	id = str(p, "reseller", "id")
	k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: RESELLER, name: "k"}) { token userErrors { field code message } } }`, map[string]any{"r": id})
	return str(k, "token"), id
}

// readerKey creates a READER key for a reseller.
func (e *env) readerKey(resellerID string) string {
	e.t.Helper()
	k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: READER, name: "bi"}) { token userErrors { field code message } } }`, map[string]any{"r": resellerID})
	return str(k, "token")
}

// newWorld builds a reseller with one of everything; program and numbers are parameters.
func (e *env) newWorld(name, program, agreementNumber, enrollmentNumber string) world {
	e.t.Helper()
	w := world{}
	w.Key, w.ResellerID = e.newReseller(name)
	c := e.mutate(w.Key, `mutation { createCustomer(input: {organizationName: "Fabrikam", country: "US"}) { customer { id } userErrors { field code message } } }`, nil)
	w.CustomerID = str(c, "customer", "id")
	a := e.mutate(w.Key, `mutation($c: ID!, $p: String!, $n: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
		startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [
		{name: "Ana", email: "ana@fabrikam.com", roles: [AGREEMENT_ADMINISTRATOR]},
		{name: "Vic", email: "vic@fabrikam.com", roles: [VLSC_ADMINISTRATOR]}]}) { agreement { id } userErrors { field code message } } }`,
		map[string]any{"c": w.CustomerID, "p": program, "n": agreementNumber})
	w.AgreementID = str(a, "agreement", "id")
	en := e.mutate(w.Key, `mutation($a: ID!, $n: String!) { createEnrollment(input: {agreementId: $a, number: $n, organizationName: "Fabrikam",
		osmName: "Olivia", osmEmail: "olivia@fabrikam.com", startDate: "2026-01-01", endDate: "2028-12-31"}) { enrollment { id } userErrors { field code message } } }`,
		map[string]any{"a": w.AgreementID, "n": enrollmentNumber})
	w.EnrollmentID = str(en, "enrollment", "id")
	ac := e.mutate(w.Key, `mutation($c: ID!) { createAccount(input: {customerId: $c, name: "Fabrikam tenant", country: "US",
		verifiedDomains: ["fabrikam-tenant.com"], users: [{userName: "alice@fabrikam-tenant.com"}, {userName: "bob@fabrikam-tenant.com"}]}) { account { id } userErrors { field code message } } }`,
		map[string]any{"c": w.CustomerID})
	w.AccountID = str(ac, "account", "id")
	return w
}

// fabrikamWorld is newWorld with the reseller name fixed: numbers are per reseller, and every test
// has a fresh database.
func (e *env) fabrikamWorld(program, agreementNumber, enrollmentNumber string) world {
	e.t.Helper()
	return e.newWorld("Fabrikam reseller", program, agreementNumber, enrollmentNumber)
}

// dynamicsWorld is a Fabrikam world with enrollment E-1 and, under the same agreement, E-D for
// Dynamics 365 (contact dan@fabrikam.com); neither has an account yet.
func (e *env) dynamicsWorld(program, agreementNumber string) world {
	e.t.Helper()
	w := e.fabrikamWorld(program, agreementNumber, "E-1")
	e.enroll(w.Key, w.AgreementID, "E-D", "Fabrikam", "dan@fabrikam.com")
	return w
}

// provisionedCustomer creates, for the reseller of key, a customer with an agreement (Ana agreement
// administrator, Vic VLSC administrator, anniversary 2027-01-01), an enrollment whose OSM is
// olivia@domain, and an account with domain verified and the given users. The domain is
// verified before any order, so processing the first order provisions the enrollment onto
// the account without an email (R-ACT-2).
func (e *env) provisionedCustomer(key, org, country, program, agreementNumber, enrollmentNumber, domain string, users ...string) world {
	e.t.Helper()
	w := world{Key: key}
	c := e.mutate(key, `mutation($o: String!, $c: String!) { createCustomer(input: {organizationName: $o, country: $c}) { customer { id } `+ueSel+` } }`,
		map[string]any{"o": org, "c": country})
	w.CustomerID = str(c, "customer", "id")
	a := e.mutate(key, `mutation($c: ID!, $p: String!, $n: String!, $ana: String!, $vic: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
		startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [
		{name: "Ana", email: $ana, roles: [AGREEMENT_ADMINISTRATOR]},
		{name: "Vic", email: $vic, roles: [VLSC_ADMINISTRATOR]}]}) { agreement { id } `+ueSel+` } }`,
		map[string]any{"c": w.CustomerID, "p": program, "n": agreementNumber, "ana": "ana@" + domain, "vic": "vic@" + domain})
	w.AgreementID = str(a, "agreement", "id")
	en := e.mutate(key, `mutation($a: ID!, $n: String!, $o: String!, $osm: String!) { createEnrollment(input: {agreementId: $a, number: $n, organizationName: $o,
		osmName: "Olivia", osmEmail: $osm, startDate: "2026-01-01", endDate: "2028-12-31"}) { enrollment { id } `+ueSel+` } }`,
		map[string]any{"a": w.AgreementID, "n": enrollmentNumber, "o": org, "osm": "olivia@" + domain})
	w.EnrollmentID = str(en, "enrollment", "id")
	us := []any{}
	for _, u := range users {
		us = append(us, map[string]any{"userName": u})
	}
	ac := e.mutate(key, `mutation($c: ID!, $n: String!, $co: String!, $d: String!, $u: [AccountUserInput!]) { createAccount(input: {customerId: $c, name: $n, country: $co,
		verifiedDomains: [$d], users: $u}) { account { id } `+ueSel+` } }`,
		map[string]any{"c": w.CustomerID, "n": org + " tenant", "co": country, "d": domain, "u": us})
	w.AccountID = str(ac, "account", "id")
	return w
}

// provisionedWorld is a new reseller with one provisionedCustomer ("Fabrikam", US, users alice and bob at domain).
func (e *env) provisionedWorld(name, program, agreementNumber, enrollmentNumber, domain string) world {
	e.t.Helper()
	key, id := e.newReseller(name)
	w := e.provisionedCustomer(key, "Fabrikam", "US", program, agreementNumber, enrollmentNumber, domain, "alice@"+domain, "bob@"+domain)
	w.ResellerID = id
	return w
}

// createAgreement creates another agreement for a customer.
func (e *env) createAgreement(key, customerID, program, number string) string {
	e.t.Helper()
	p := e.mutate(key, createAgreementDoc, vars(map[string]any{"customerId": customerID, "program": program, "number": number,
		"startDate": "2026-01-01", "anniversaryDate": "2027-01-01", "contacts": []any{
			map[string]any{"name": "Ana", "email": "ana@fabrikam.com", "roles": []any{"AGREEMENT_ADMINISTRATOR"}},
			map[string]any{"name": "Vic", "email": "vic@fabrikam.com", "roles": []any{"VLSC_ADMINISTRATOR"}}}}))
	return str(p, "agreement", "id")
}

// enroll creates an enrollment (term 2026-01-01..2028-12-31) with an OSM email ("" for none).
func (e *env) enroll(key, agreementID, number, org, osmEmail string) string {
	e.t.Helper()
	in := map[string]any{"agreementId": agreementID, "number": number, "organizationName": org, "osmName": "", "osmEmail": osmEmail,
		"startDate": "2026-01-01", "endDate": "2028-12-31"}
	if osmEmail != "" {
		in["osmName"] = "OSM of " + number
	}
	p := e.mutate(key, createEnrollmentDoc, vars(in))
	return str(p, "enrollment", "id")
}

// enrollTerm creates another enrollment under an agreement.
func (e *env) enrollTerm(key, agreementID, number, osmEmail, start, end string) {
	e.t.Helper()
	e.mutate(key, `mutation($a: ID!, $n: String!, $o: String!, $s: Date!, $e: Date!) { createEnrollment(input: {agreementId: $a, number: $n,
		organizationName: "Fabrikam", osmName: "O", osmEmail: $o, startDate: $s, endDate: $e}) { enrollment { id } userErrors { field code message } } }`,
		map[string]any{"a": agreementID, "n": number, "o": osmEmail, "s": start, "e": end})
}

// admin is an AccountAdministratorInput.
func admin(name, email, role string) map[string]any {
	return map[string]any{"name": name, "email": email, "role": role}
}

// createAccount creates an account for a customer and returns its id.
func (e *env) createAccount(key, customerID, name, country string, domains []string, admins ...map[string]any) string {
	e.t.Helper()
	in := newAccountIn(name, country, domains, admins...)
	in["customerId"] = customerID
	p := e.mutate(key, createAccountDoc, vars(in))
	return str(p, "account", "id")
}

// newAccountIn is a NewAccountInput.
func newAccountIn(name, country string, domains []string, admins ...map[string]any) map[string]any {
	ds := []any{}
	for _, d := range domains {
		ds = append(ds, d)
	}
	as := []any{}
	for _, a := range admins {
		as = append(as, a)
	}
	return map[string]any{"name": name, "country": country, "verifiedDomains": ds, "administrators": as}
}

// addUsers adds users to an account.
func (e *env) addUsers(key, accountID string, names ...string) {
	e.t.Helper()
	us := []any{}
	for _, n := range names {
		us = append(us, map[string]any{"userName": n})
	}
	e.mutate(key, addUsersDoc, map[string]any{"a": accountID, "u": us})
}

// customerAccounts counts a customer's accounts.
func (e *env) customerAccounts(key, customerID string) int {
	e.t.Helper()
	return num(e.ok(key, customerAccountsDoc, map[string]any{"id": customerID}), "node", "accounts", "totalCount")
}

// t0Day is t0's day, the purchase and usage start date of the orders bought "today".
const t0Day = "2026-11-23"

// orderIn is a createOrder input purchased and usable on t0's day.
func orderIn(enrollment, idem string, lines []any) map[string]any {
	return map[string]any{"enrollmentNumber": enrollment, "lines": lines, "purchaseDate": t0Day,
		"usageStartDate": t0Day, "idempotencyKey": idem}
}

// placeOrder creates an order that must be accepted and returns it.
func (e *env) placeOrder(key string, in map[string]any) map[string]any {
	e.t.Helper()
	return e.mutated(key, createOrderDoc, vars(in), "order")
}

// place places an order of sku, quantity pairs on an enrollment with the purchase and usage
// start dates given, and returns it.
func (e *env) place(key, enrollment, idem, purchase, usage string, pairs ...any) map[string]any {
	e.t.Helper()
	in := orderIn(enrollment, idem, orderLines(pairs...))
	in["purchaseDate"], in["usageStartDate"] = purchase, usage
	return e.placeOrder(key, in)
}

// process processes an order with the operator key, at the server clock; it returns the order.
func (e *env) process(orderID string) map[string]any {
	e.t.Helper()
	p := e.mutate(e.Operator, processOrderDoc, map[string]any{"id": orderID})
	o, _ := p["order"].(map[string]any)
	if str(o, "status") != "PROCESSED" {
		e.t.Fatalf("order not processed: %v", p)
	}
	return o
}

// buy places and processes an order (purchase and usage start dates given).
func (e *env) buy(key, enrollment, idem, purchase, usage string, pairs ...any) map[string]any {
	e.t.Helper()
	return e.process(str(e.place(key, enrollment, idem, purchase, usage, pairs...), "id"))
}

// buyToday buys on the server clock's day (purchase = usage start = that day).
func (e *env) buyToday(key, enrollment, idem string, pairs ...any) map[string]any {
	e.t.Helper()
	day := e.clock.Load().UTC().Format(time.DateOnly)
	return e.buy(key, enrollment, idem, day, day, pairs...)
}

// buyOnto buys on t0's day and checks the enrollment landed on wantAccount (R-ACT-2), when given.
// The order is processed 12 hours before the server clock, so its licenses are on the account
// now (R-ORD-5: pending licenses cannot be assigned) and the clock is left where it was.
func (e *env) buyOnto(key, enrollment, idem, wantAccount string, pairs ...any) {
	e.t.Helper()
	now := *e.clock.Load()
	e.SetNow(now.Add(-12 * hour))
	e.buy(key, enrollment, idem, t0Day, t0Day, pairs...)
	e.SetNow(now)
	if wantAccount != "" {
		d := e.ok(key, enrollmentAccountDoc, map[string]any{"n": enrollment})
		if got := str(d, "enrollment", "account", "id"); got != wantAccount {
			e.t.Fatalf("setup: enrollment %s is on account %q, want %q (R-ACT-2 provisioning)", enrollment, got, wantAccount)
		}
	}
}

func (e *env) ordersTotal(key string) int {
	e.t.Helper()
	return e.totalCount(key, ordersDoc, "orders", map[string]any{"f": nil})
}

func reservationIn(enrollment, sku string, qty int, contact, key string) map[string]any {
	return map[string]any{"enrollmentNumber": enrollment, "sku": sku, "quantity": qty, "contactEmail": contact, "idempotencyKey": key}
}

// reserve makes a reservation that must be accepted.
func (e *env) reserve(key string, in map[string]any) map[string]any {
	e.t.Helper()
	return e.mutated(key, createReservationDoc, vars(in), "reservation")
}

// direct records a direct (MOSP) purchase on an account and returns its subscription.
func (e *env) direct(key, accountID, sku string, qty int, end string, autoRenew bool) map[string]any {
	e.t.Helper()
	p := e.mutate(key, directSubscriptionDoc, vars(map[string]any{"accountId": accountID, "sku": sku, "quantity": qty, "endDate": end, "autoRenew": autoRenew}))
	return p["subscription"].(map[string]any)
}

// directID is direct, checked to hold qty; it returns the subscription's id.
func (e *env) directID(key, accountID, sku string, qty int, end string, autoRenew bool) string {
	e.t.Helper()
	sub := e.direct(key, accountID, sku, qty, end, autoRenew)
	if str(sub, "id") == "" || num(sub, "quantity") != qty {
		e.t.Fatalf("createDirectSubscription: %v", sub)
	}
	return str(sub, "id")
}

// subsBySKU returns an enrollment's subscriptions by SKU code as of at (zero: no asOf).
func (e *env) subsBySKU(key, enrollment string, at time.Time) (map[string]map[string]any, int) {
	e.t.Helper()
	d := e.ok(key, enrollmentSubscriptionsDoc, map[string]any{"n": enrollment, "at": asOfVar(at)})
	return bySKU(e.t, get(d, "enrollment", "subscriptions"))
}

// subsAt is subsBySKU without the count.
func (e *env) subsAt(key, enrollment string, at time.Time) map[string]map[string]any {
	e.t.Helper()
	subs, _ := e.subsBySKU(key, enrollment, at)
	return subs
}

// accountSubsBySKU returns an account's subscriptions by SKU code as of at.
func (e *env) accountSubsBySKU(key, accountID string, at time.Time) (map[string]map[string]any, int) {
	e.t.Helper()
	d := e.ok(key, accountSubscriptionsDoc, map[string]any{"id": accountID, "at": asOfVar(at)})
	return bySKU(e.t, get(d, "node", "subscriptions"))
}

func bySKU(t testing.TB, conn any) (map[string]map[string]any, int) {
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

// wantSub asserts a subscription's status and quantities.
func wantSub(t testing.TB, sub map[string]any, status string, quantity, pending, licensed int) {
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

// accountAt reads an account (subscriptions as of at).
func (e *env) accountAt(key, id string, at time.Time) map[string]any {
	e.t.Helper()
	a, _ := e.ok(key, accountDoc, map[string]any{"id": id, "at": dateTime(at)})["node"].(map[string]any)
	if a == nil || str(a, "id") != id {
		e.t.Fatalf("no account %s", id)
	}
	return a
}

// subRow is one subscription as the tests compare it.
type subRow struct {
	Enrollment, SKU, Status     string
	Quantity, Pending, Licensed int
	GraceUntil                  string
}

func subsOf(conn any) []subRow {
	var out []subRow
	edges, _ := get(conn, "edges").([]any)
	for _, ed := range edges {
		n := get(ed, "node")
		out = append(out, subRow{Enrollment: str(n, "enrollment", "number"), SKU: str(n, "sku", "code"), Status: str(n, "status"),
			Quantity: num(n, "quantity"), Pending: num(n, "pendingQuantity"), Licensed: num(n, "licensedQuantity"), GraceUntil: str(n, "graceUntil")})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Enrollment != out[j].Enrollment {
			return out[i].Enrollment < out[j].Enrollment
		}
		return out[i].SKU < out[j].SKU
	})
	return out
}

// accountSubs lists an account's subscriptions as of at, sorted by enrollment and SKU.
func (e *env) accountSubs(key, accountID string, at time.Time) []subRow {
	e.t.Helper()
	return subsOf(get(e.accountAt(key, accountID, at), "subscriptions"))
}

// enrollmentSubs lists an enrollment's subscriptions as of at, sorted by SKU.
func (e *env) enrollmentSubs(key, number string, at time.Time) []subRow {
	e.t.Helper()
	return subsOf(get(e.ok(key, enrollmentSubscriptionsDoc, map[string]any{"n": number, "at": dateTime(at)}), "enrollment", "subscriptions"))
}

func wantSubs(t testing.TB, what string, got []subRow, want ...subRow) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s subscriptions:\n got %+v\nwant %+v", what, got, want)
	}
}

func licensedTotal(subs []subRow) int {
	n := 0
	for _, s := range subs {
		n += s.Licensed
	}
	return n
}

// subscriptionIDs returns an enrollment's subscription ids by SKU.
func (e *env) subscriptionIDs(key, enrollment string) map[string]string {
	e.t.Helper()
	d := e.ok(key, enrollmentAccountDoc, map[string]any{"n": enrollment})
	out := map[string]string{}
	edges, _ := get(d, "enrollment", "subscriptions", "edges").([]any)
	for _, ed := range edges {
		out[str(ed, "node", "sku", "code")] = str(ed, "node", "id")
	}
	return out
}

// setQuantity runs setSubscriptionQuantity; acc nil leaves acceptConflict out (its default, false).
func (e *env) setQuantity(key, subID string, q int, acc any) *response {
	e.t.Helper()
	vars := map[string]any{"id": subID, "q": q}
	if acc != nil {
		vars["acc"] = acc
	}
	return e.do(key, setQuantityDoc, vars)
}
