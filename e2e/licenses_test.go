package e2e

// License assignments, conflicts with their resolutions (R-LIC) and the license summary for BI
// tools (R-BI) end to end, through the GraphQL API, each rule proved by a subtest named by its
// ID, on every engine of the run (SQLite always, MariaDB with TEST_MYSQL_DSN).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
)

// ---- documents ----

const (
	licUE     = `userErrors { field code message }`
	licLicSel = `sku { code } licensed inGrace assigned available`

	licAssignDoc = `mutation($a: ID!, $s: String!, $u: [String!]!) { assignLicenses(input: {accountId: $a, sku: $s, userNames: $u}) {
		account { id } license { ` + licLicSel + ` } changedUsers ` + licUE + ` } }`
	licRemoveDoc = `mutation($a: ID!, $s: String!, $u: [String!]!, $c: Boolean!) { removeLicenses(input: {accountId: $a, sku: $s, userNames: $u, confirmDataLoss: $c}) {
		account { id } license { ` + licLicSel + ` } changedUsers ` + licUE + ` } }`
	licDeleteUserDoc = `mutation($a: ID!, $u: String!) { deleteAccountUser(input: {accountId: $a, userName: $u}) {
		account { id users(first: 100) { totalCount edges { node { userName } } } } freedSkus ` + licUE + ` } }`
	licAddUsersDoc = `mutation($a: ID!, $u: [AccountUserInput!]!) { addAccountUsers(input: {accountId: $a, users: $u}) { account { id } ` + licUE + ` } }`
	licLicensesDoc = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { licenses(asOf: $at) { ` + licLicSel + ` } } } }`

	licConflictSel              = `sku { code } licensed inGrace assigned deficit affectedUsers resolutions { kind newTotal userCount subscriptionIds message }`
	licConflictsDoc             = `query($a: ID!, $at: DateTime) { licenseConflicts(accountId: $a, asOf: $at) { ` + licConflictSel + ` } }`
	licAccountsWithConflictsDoc = `query($at: DateTime, $first: Int, $after: String) { accountsWithConflicts(asOf: $at, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } edges { cursor node { account { id } skusInConflict deficit } } } }`

	licSubSel      = `id sku { code } program status quantity licensedQuantity endDate autoRenew graceUntil`
	licSetQtyDoc   = `mutation($id: ID!, $q: Int!, $acc: Boolean) { setSubscriptionQuantity(input: {subscriptionId: $id, quantity: $q, acceptConflict: $acc}) { subscription { ` + licSubSel + ` } ` + licUE + ` } }`
	licDirectDoc   = `mutation($in: CreateDirectSubscriptionInput!) { createDirectSubscription(input: $in) { subscription { ` + licSubSel + ` } ` + licUE + ` } }`
	licRenewSubDoc = `mutation($id: ID!) { renewSubscription(input: {subscriptionId: $id}) { subscription { ` + licSubSel + ` } ` + licUE + ` } }`
	licAccSubsDoc  = `query($id: ID!, $at: DateTime) { node(id: $id) { ... on Account { subscriptions(asOf: $at, first: 100) { edges { node { ` + licSubSel + ` } } } } } }`

	licCreateOrderDoc  = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id status } ` + licUE + ` } }`
	licProcessOrderDoc = `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { id status } ` + licUE + ` } }`
	licEnrollmentDoc   = `query($n: String!) { enrollment(number: $n) { id number status account { id }
		subscriptions(first: 100) { edges { node { ` + licSubSel + ` } } } } }`
	licRenewEnrDoc = `mutation($in: RenewEnrollmentInput!) { renewEnrollment(input: $in) { oldEnrollment { number status } newEnrollment { id number status account { id } }
		graceUntil carriedSkus reassignSkus ` + licUE + ` } }`
	licReserveDoc      = `mutation($in: CreateReservationInput!) { createReservation(input: $in) { reservation { id quantity status billingDate } ` + licUE + ` } }`
	licReservationsDoc = `query($at: DateTime) { reservations(first: 100, filter: {notBilledAsOf: $at}) { totalCount edges { node { id quantity } } } }`

	licSummaryDoc = `query($g: [SummaryDimension!]!, $f: LicenseSummaryFilter, $at: DateTime, $first: Int, $after: String) {
		licenseSummary(groupBy: $g, filter: $f, asOf: $at, first: $first, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { reseller { id } customer { id } agreement { id } program enrollment { number } account { id } sku { code } family
			licensed inGrace reservedNotBilled assigned available } } } }`
)

// licT0 is the clock newEnv starts with; every fixture below buys and assigns then.
var licT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const licDay = 24 * time.Hour

// ---- helpers (lic prefix: the e2e package is shared) ----

// licCase runs fn as a named subtest (its rule ID first) on every engine, each with a fresh env.
func licCase(t *testing.T, name string, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Run(name, func(t *testing.T) { each(t, fn) })
}

func licAt(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// licAtVar is an asOf variable: null (the server's now) for the zero time.
func licAtVar(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return licAt(t)
}

// licGID builds a global ID the way the server does (only to name objects that do not exist).
func licGID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// licDecode re-decodes a piece of a JSON response into a typed value.
func licDecode(t testing.TB, v any, out any) {
	t.Helper()
	raw, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		t.Fatalf("decode %v: %v", v, err)
	}
}

// licCustomer creates, for the reseller of key, a customer with an agreement (Ana agreement
// administrator, Vic VLSC administrator, anniversary 2027-01-01), an enrollment whose OSM is
// olivia@domain, and an account with domain verified and the given users. The domain is
// verified before any order, so processing the first order provisions the enrollment onto
// the account without an email (R-ACT-2).
func (e *env) licCustomer(key, org, country, program, agreementNumber, enrollmentNumber, domain string, users ...string) world {
	e.t.Helper()
	w := world{Key: key}
	c := e.mutate(key, `mutation($o: String!, $c: String!) { createCustomer(input: {organizationName: $o, country: $c}) { customer { id } `+licUE+` } }`,
		map[string]any{"o": org, "c": country})
	w.CustomerID = str(c, "customer", "id")
	a := e.mutate(key, `mutation($c: ID!, $p: String!, $n: String!, $ana: String!, $vic: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
		startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [
		{name: "Ana", email: $ana, roles: [AGREEMENT_ADMINISTRATOR]},
		{name: "Vic", email: $vic, roles: [VLSC_ADMINISTRATOR]}]}) { agreement { id } `+licUE+` } }`,
		map[string]any{"c": w.CustomerID, "p": program, "n": agreementNumber, "ana": "ana@" + domain, "vic": "vic@" + domain})
	w.AgreementID = str(a, "agreement", "id")
	en := e.mutate(key, `mutation($a: ID!, $n: String!, $o: String!, $osm: String!) { createEnrollment(input: {agreementId: $a, number: $n, organizationName: $o,
		osmName: "Olivia", osmEmail: $osm, startDate: "2026-01-01", endDate: "2028-12-31"}) { enrollment { id } `+licUE+` } }`,
		map[string]any{"a": w.AgreementID, "n": enrollmentNumber, "o": org, "osm": "olivia@" + domain})
	w.EnrollmentID = str(en, "enrollment", "id")
	us := []any{}
	for _, u := range users {
		us = append(us, map[string]any{"userName": u})
	}
	ac := e.mutate(key, `mutation($c: ID!, $n: String!, $co: String!, $d: String!, $u: [AccountUserInput!]) { createAccount(input: {customerId: $c, name: $n, country: $co,
		verifiedDomains: [$d], users: $u}) { account { id } `+licUE+` } }`,
		map[string]any{"c": w.CustomerID, "n": org + " tenant", "co": country, "d": domain, "u": us})
	w.AccountID = str(ac, "account", "id")
	return w
}

// licWorld is a new reseller with one licCustomer ("Fabrikam", US, users alice and bob at domain).
func (e *env) licWorld(name, program, agreementNumber, enrollmentNumber, domain string) world {
	e.t.Helper()
	key, id := e.newReseller(name)
	w := e.licCustomer(key, "Fabrikam", "US", program, agreementNumber, enrollmentNumber, domain, "alice@"+domain, "bob@"+domain)
	w.ResellerID = id
	return w
}

// licAddUsers adds users to an account.
func (e *env) licAddUsers(key, accountID string, names ...string) {
	e.t.Helper()
	us := []any{}
	for _, n := range names {
		us = append(us, map[string]any{"userName": n})
	}
	e.mutate(key, licAddUsersDoc, map[string]any{"a": accountID, "u": us})
}

// licBuy places an order of sku, quantity pairs dated licT0's day and processes it (operator),
// then checks the enrollment landed on wantAccount (R-ACT-2), when given.
func (e *env) licBuy(key, enrollment, idem, wantAccount string, pairs ...any) {
	e.t.Helper()
	lines := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		lines = append(lines, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	o := e.mutate(key, licCreateOrderDoc, map[string]any{"in": map[string]any{"enrollmentNumber": enrollment, "lines": lines,
		"purchaseDate": "2026-11-23", "usageStartDate": "2026-11-23", "idempotencyKey": idem}})
	p := e.mutate(e.Operator, licProcessOrderDoc, map[string]any{"id": str(o, "order", "id")})
	if str(p, "order", "status") != "PROCESSED" {
		e.t.Fatalf("order not processed: %v", p)
	}
	if wantAccount != "" {
		d := e.ok(key, licEnrollmentDoc, map[string]any{"n": enrollment})
		if got := str(d, "enrollment", "account", "id"); got != wantAccount {
			e.t.Fatalf("setup: enrollment %s is on account %q, want %q (R-ACT-2 provisioning)", enrollment, got, wantAccount)
		}
	}
}

// licEnrollmentSubs returns an enrollment's subscription ids by SKU.
func (e *env) licEnrollmentSubs(key, enrollment string) map[string]string {
	e.t.Helper()
	d := e.ok(key, licEnrollmentDoc, map[string]any{"n": enrollment})
	out := map[string]string{}
	edges, _ := get(d, "enrollment", "subscriptions", "edges").([]any)
	for _, ed := range edges {
		out[str(ed, "node", "sku", "code")] = str(ed, "node", "id")
	}
	return out
}

// licDirect records a direct (MOSP) purchase on an account and returns its subscription id.
func (e *env) licDirect(key, accountID, sku string, qty int, endDate string, autoRenew bool) string {
	e.t.Helper()
	p := e.mutate(key, licDirectDoc, map[string]any{"in": map[string]any{"accountId": accountID, "sku": sku, "quantity": qty,
		"endDate": endDate, "autoRenew": autoRenew}})
	id := str(p, "subscription", "id")
	if id == "" || num(p, "subscription", "quantity") != qty {
		e.t.Fatalf("createDirectSubscription: %v", p)
	}
	return id
}

// licAssign assigns sku to users; it must succeed. It returns the payload.
func (e *env) licAssign(key, accountID, sku string, users ...string) map[string]any {
	e.t.Helper()
	return e.mutate(key, licAssignDoc, map[string]any{"a": accountID, "s": sku, "u": users})
}

// licAssignRefused assigns sku to users; it must be refused with a null license. It returns the userErrors.
func (e *env) licAssignRefused(key, accountID, sku string, users ...string) []userError {
	e.t.Helper()
	vars := map[string]any{"a": accountID, "s": sku, "u": users}
	d := e.ok(key, licAssignDoc, vars)
	if get(d, "assignLicenses", "license") != nil || get(d, "assignLicenses", "account") != nil {
		e.t.Errorf("a refused assignLicenses must carry no account or license (schema: null when refused), got %v", d)
	}
	return e.refused(key, licAssignDoc, vars)
}

// licStrings reads a JSON list of strings.
func licStrings(v any) []string {
	out := []string{}
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// licLic is one AccountLicense (or the quantities of a summary row, ReservedNotBilled aside).
type licLic struct {
	Licensed, InGrace, Assigned, Available int
}

func licLicOf(v any) licLic {
	return licLic{Licensed: num(v, "licensed"), InGrace: num(v, "inGrace"), Assigned: num(v, "assigned"), Available: num(v, "available")}
}

// licLicenses returns Account.licenses(asOf) by SKU code (asOf zero: the server's now).
func (e *env) licLicenses(key, accountID string, at time.Time) map[string]licLic {
	e.t.Helper()
	d := e.ok(key, licLicensesDoc, map[string]any{"id": accountID, "at": licAtVar(at)})
	out := map[string]licLic{}
	l, ok := get(d, "node", "licenses").([]any)
	if !ok {
		e.t.Fatalf("Account.licenses of %s: %v", accountID, d)
	}
	for _, x := range l {
		code := str(x, "sku", "code")
		if _, dup := out[code]; dup {
			e.t.Fatalf("Account.licenses lists %s twice: %v", code, l)
		}
		out[code] = licLicOf(x)
	}
	return out
}

// licWantLic asserts one SKU's licenses on an account.
func licWantLic(t testing.TB, got map[string]licLic, sku string, want licLic) {
	t.Helper()
	g, ok := got[sku]
	if !ok {
		t.Fatalf("Account.licenses has no %s: %+v", sku, got)
	}
	if g != want {
		t.Fatalf("Account.licenses %s = %+v, want %+v", sku, g, want)
	}
}

// licPayloadLic asserts the license of an assign/remove payload.
func licPayloadLic(t testing.TB, p map[string]any, sku string, want licLic) {
	t.Helper()
	l := get(p, "license")
	if str(l, "sku", "code") != sku || licLicOf(l) != want {
		t.Fatalf("payload license = %v, want %s %+v", l, sku, want)
	}
}

type licResolution struct {
	Kind            string   `json:"kind"`
	NewTotal        *int     `json:"newTotal"`
	UserCount       *int     `json:"userCount"`
	SubscriptionIDs []string `json:"subscriptionIds"`
	Message         string   `json:"message"`
}

type licConflict struct {
	SKU struct {
		Code string `json:"code"`
	} `json:"sku"`
	Licensed      int             `json:"licensed"`
	InGrace       int             `json:"inGrace"`
	Assigned      int             `json:"assigned"`
	Deficit       int             `json:"deficit"`
	AffectedUsers []string        `json:"affectedUsers"`
	Resolutions   []licResolution `json:"resolutions"`
}

// licConflicts returns licenseConflicts(accountId, asOf); the list must not be null.
func (e *env) licConflicts(key, accountID string, at time.Time) []licConflict {
	e.t.Helper()
	d := e.ok(key, licConflictsDoc, map[string]any{"a": accountID, "at": licAtVar(at)})
	raw, ok := d["licenseConflicts"].([]any)
	if !ok {
		e.t.Fatalf("licenseConflicts(%s, %v) must be a list (empty when there is no conflict, R-LIC-4), got %#v", accountID, at, d["licenseConflicts"])
	}
	var out []licConflict
	licDecode(e.t, raw, &out)
	return out
}

// licOneConflict asserts exactly one conflict, on sku, with these quantities and affected users.
func licOneConflict(t testing.TB, cs []licConflict, sku string, licensed, inGrace, assigned, deficit int, affected []string) licConflict {
	t.Helper()
	if len(cs) != 1 {
		t.Fatalf("want one conflict on %s, got %+v", sku, cs)
	}
	c := cs[0]
	got := []any{c.SKU.Code, c.Licensed, c.InGrace, c.Assigned, c.Deficit}
	want := []any{sku, licensed, inGrace, assigned, deficit}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("conflict sku/licensed/inGrace/assigned/deficit = %v, want %v (%+v)", got, want, c)
	}
	if !reflect.DeepEqual(c.AffectedUsers, affected) {
		t.Fatalf("conflict on %s: affectedUsers %v, want %v", sku, c.AffectedUsers, affected)
	}
	return c
}

// licResolutionOf returns the resolution of kind, or nil.
func licResolutionOf(c licConflict, kind string) *licResolution {
	for i := range c.Resolutions {
		if c.Resolutions[i].Kind == kind {
			return &c.Resolutions[i]
		}
	}
	return nil
}

func licIntPtr(p *int) string {
	if p == nil {
		return "null"
	}
	return strconv.Itoa(*p)
}

// licWantBuyRemove asserts the BUY_MORE (newTotal) and REMOVE_LICENSES (userCount) resolutions.
func licWantBuyRemove(t testing.TB, c licConflict, newTotal, userCount int) {
	t.Helper()
	buy, rm := licResolutionOf(c, "BUY_MORE"), licResolutionOf(c, "REMOVE_LICENSES")
	if buy == nil || buy.NewTotal == nil || *buy.NewTotal != newTotal || buy.UserCount != nil || len(buy.SubscriptionIDs) != 0 || buy.Message == "" {
		t.Fatalf("BUY_MORE: want newTotal %d (a total, R-SUB-7), got %+v (newTotal %s) in %+v", newTotal, buy, licIntPtr(buy.newTotalOrNil()), c.Resolutions)
	}
	if rm == nil || rm.UserCount == nil || *rm.UserCount != userCount || rm.NewTotal != nil || len(rm.SubscriptionIDs) != 0 || rm.Message == "" {
		t.Fatalf("REMOVE_LICENSES: want userCount %d, got %+v in %+v", userCount, rm, c.Resolutions)
	}
}

func (r *licResolution) newTotalOrNil() *int {
	if r == nil {
		return nil
	}
	return r.NewTotal
}

// licAccountsWithConflicts returns accountsWithConflicts(asOf) as account id -> [skusInConflict, deficit], and its totalCount.
func (e *env) licAccountsWithConflicts(key string, at time.Time) (map[string][2]int, int) {
	e.t.Helper()
	return e.licAccountsWithConflictsPaged(key, at, 100)
}

// licAccountsWithConflictsPaged is licAccountsWithConflicts in pages of first.
func (e *env) licAccountsWithConflictsPaged(key string, at time.Time, first int) (map[string][2]int, int) {
	e.t.Helper()
	out := map[string][2]int{}
	total := -1
	var after any
	for page := 0; page < 100; page++ {
		d := e.ok(key, licAccountsWithConflictsDoc, map[string]any{"at": licAtVar(at), "first": first, "after": after})
		conn := get(d, "accountsWithConflicts")
		if total >= 0 && num(conn, "totalCount") != total {
			e.t.Fatalf("accountsWithConflicts: totalCount changed between pages: %d then %d", total, num(conn, "totalCount"))
		}
		total = num(conn, "totalCount")
		edges, _ := get(conn, "edges").([]any)
		if len(edges) > first {
			e.t.Fatalf("accountsWithConflicts(first: %d) returned %d", first, len(edges))
		}
		for _, ed := range edges {
			id := str(ed, "node", "account", "id")
			if _, dup := out[id]; dup {
				e.t.Fatalf("accountsWithConflicts lists %s twice", id)
			}
			out[id] = [2]int{num(ed, "node", "skusInConflict"), num(ed, "node", "deficit")}
		}
		if get(conn, "pageInfo", "hasNextPage") != true {
			break
		}
		after = str(conn, "pageInfo", "endCursor")
	}
	if total != len(out) {
		e.t.Fatalf("accountsWithConflicts: totalCount %d, %d accounts listed", total, len(out))
	}
	return out, total
}

// licSetQty runs setSubscriptionQuantity; acc nil leaves acceptConflict out (its default, false).
func (e *env) licSetQty(key, subID string, q int, acc any) *response {
	e.t.Helper()
	vars := map[string]any{"id": subID, "q": q}
	if acc != nil {
		vars["acc"] = acc
	}
	return e.do(key, licSetQtyDoc, vars)
}

// licUserErrors reads the userErrors of a response's only payload.
func licUserErrors(t testing.TB, r *response) []userError {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected GraphQL errors: %s", r.Raw)
	}
	for _, v := range r.Data {
		var ue []userError
		licDecode(t, get(v, "userErrors"), &ue)
		return ue
	}
	t.Fatalf("no payload: %s", r.Raw)
	return nil
}

// licMissing matches the count of licenses missing in a NOT_ENOUGH_LICENSES message.
func licMissing(t testing.TB, ue []userError, n int) {
	t.Helper()
	for _, u := range ue {
		if u.Code != "NOT_ENOUGH_LICENSES" {
			continue
		}
		word := "licenses"
		if n == 1 {
			word = "license"
		}
		if regexp.MustCompile(`(^|\D)` + strconv.Itoa(n) + ` more ` + word + `\b`).MatchString(u.Message) {
			return
		}
		t.Fatalf("NOT_ENOUGH_LICENSES must name the %d missing: %q", n, u.Message)
	}
	t.Fatalf("want NOT_ENOUGH_LICENSES, got %+v", ue)
}

// licHasCode asserts a userError with code exists, whatever its field.
func licHasCode(t testing.TB, ue []userError, code string) userError {
	t.Helper()
	for _, u := range ue {
		if u.Code == code {
			return u
		}
	}
	t.Fatalf("want userError %s, got %+v", code, ue)
	return userError{}
}

// ---- summary helpers ----

// licRow is a summary row's quantities.
type licRow struct {
	Licensed, InGrace, Reserved, Assigned, Available int
}

func (r licRow) add(o licRow) licRow {
	return licRow{r.Licensed + o.Licensed, r.InGrace + o.InGrace, r.Reserved + o.Reserved, r.Assigned + o.Assigned, r.Available + o.Available}
}

func licRowOf(n any) licRow {
	return licRow{Licensed: num(n, "licensed"), InGrace: num(n, "inGrace"), Reserved: num(n, "reservedNotBilled"),
		Assigned: num(n, "assigned"), Available: num(n, "available")}
}

// licKeyOf is a summary row's key: the values of groupBy joined by "|" ("" for null).
func licKeyOf(n any, groupBy []string) string {
	parts := make([]string, len(groupBy))
	for i, d := range groupBy {
		switch d {
		case "RESELLER":
			parts[i] = str(n, "reseller", "id")
		case "CUSTOMER":
			parts[i] = str(n, "customer", "id")
		case "AGREEMENT":
			parts[i] = str(n, "agreement", "id")
		case "PROGRAM":
			parts[i] = str(n, "program")
		case "ENROLLMENT":
			parts[i] = str(n, "enrollment", "number")
		case "ACCOUNT":
			parts[i] = str(n, "account", "id")
		case "SKU":
			parts[i] = str(n, "sku", "code")
		case "FAMILY":
			parts[i] = str(n, "family")
		}
	}
	return strings.Join(parts, "|")
}

// licSummaryPage runs one licenseSummary page and returns the raw connection.
func (e *env) licSummaryPage(key string, groupBy []string, filter map[string]any, at time.Time, first int, after string) any {
	e.t.Helper()
	if groupBy == nil {
		groupBy = []string{}
	}
	vars := map[string]any{"g": groupBy, "at": licAtVar(at)}
	if filter != nil {
		vars["f"] = filter
	}
	if first > 0 {
		vars["first"] = first
	}
	if after != "" {
		vars["after"] = after
	}
	return get(e.ok(key, licSummaryDoc, vars), "licenseSummary")
}

// licSummary returns every group of licenseSummary (all pages) by key, checking that the
// dimensions not grouped are null and that no group repeats.
func (e *env) licSummary(key string, groupBy []string, filter map[string]any, at time.Time) map[string]licRow {
	e.t.Helper()
	out := map[string]licRow{}
	after := ""
	total := -1
	for page := 0; page < 1000; page++ {
		conn := e.licSummaryPage(key, groupBy, filter, at, 100, after)
		if total >= 0 && num(conn, "totalCount") != total {
			e.t.Fatalf("licenseSummary: totalCount changed between pages")
		}
		total = num(conn, "totalCount")
		edges, _ := get(conn, "edges").([]any)
		for _, ed := range edges {
			n := get(ed, "node")
			licNullOutside(e.t, n, groupBy)
			k := licKeyOf(n, groupBy)
			if _, dup := out[k]; dup {
				e.t.Fatalf("licenseSummary %v: group %q twice", groupBy, k)
			}
			out[k] = licRowOf(n)
		}
		if get(conn, "pageInfo", "hasNextPage") != true {
			break
		}
		after = str(conn, "pageInfo", "endCursor")
	}
	if total != len(out) {
		e.t.Fatalf("licenseSummary %v: totalCount %d, %d groups returned", groupBy, total, len(out))
	}
	return out
}

// licNullOutside asserts a summary row shows only the grouped dimensions.
func licNullOutside(t testing.TB, n any, groupBy []string) {
	t.Helper()
	fields := map[string]string{"RESELLER": "reseller", "CUSTOMER": "customer", "AGREEMENT": "agreement", "PROGRAM": "program",
		"ENROLLMENT": "enrollment", "ACCOUNT": "account", "SKU": "sku", "FAMILY": "family"}
	for d, f := range fields {
		grouped := false
		for _, g := range groupBy {
			grouped = grouped || g == d
		}
		if !grouped && get(n, f) != nil {
			t.Fatalf("summary row grouped by %v shows %s: %v", groupBy, f, n)
		}
	}
}

// licWantSummary asserts a summary's groups exactly.
func licWantSummary(t testing.TB, what string, got, want map[string]licRow) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, licFmtRows(got), licFmtRows(want))
	}
}

func licFmtRows(m map[string]licRow) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		r := m[k]
		fmt.Fprintf(&b, "\n   %-40s licensed %d inGrace %d reservedNotBilled %d assigned %d available %d", k, r.Licensed, r.InGrace, r.Reserved, r.Assigned, r.Available)
	}
	return b.String()
}

// licSummaryMatchesLicenses asserts that the summary of one account, grouped by SKU (one row
// per pool) and by CUSTOMER and SKU (users allocated to subscriptions), equals its
// Account.licenses as of at.
func (e *env) licSummaryMatchesLicenses(t testing.TB, key, accountID string, at time.Time) {
	t.Helper()
	lic := e.licLicenses(key, accountID, at)
	for _, g := range [][]string{{"SKU"}, {"CUSTOMER", "SKU"}} {
		bySKU := map[string]licLic{}
		for k, r := range e.licSummary(key, g, map[string]any{"accountIds": []string{accountID}}, at) {
			sku := k[strings.LastIndex(k, "|")+1:]
			prev := bySKU[sku]
			bySKU[sku] = licLic{prev.Licensed + r.Licensed, prev.InGrace + r.InGrace, prev.Assigned + r.Assigned, prev.Available + r.Available}
		}
		if !reflect.DeepEqual(bySKU, lic) {
			t.Fatalf("asOf %v, summary by %v of account %s: %+v, Account.licenses %+v", at, g, accountID, bySKU, lic)
		}
	}
}

// licBI is the R-BI-1 data set of one reseller:
//
//	Fabrikam (US): ENTERPRISE agreement A-1, enrollment E-1 on account ACC1 (6 users) with
//	  O365-E3 10 (+2 reserved, billed 2027-01-01) and INTUNE 5, and a direct (MOSP) O365-E1 4;
//	  assigned O365-E3 3, INTUNE 2, O365-E1 1.
//	Contoso (GB): MPSA agreement M-1, enrollment E-2 on account ACC2 (3 users) with INTUNE 7 and
//	  M365-E3 2; assigned INTUNE 1, M365-E3 2.
type licBI struct {
	Key, ResellerID string
	C1, C2          world
	ReservationID   string
	BillingDate     string
}

func (e *env) licBIData(name, prefix string) licBI {
	e.t.Helper()
	var d licBI
	d.Key, d.ResellerID = e.newReseller(name)
	fab, con := prefix+"fabrikam.com", prefix+"contoso.com"
	fu := func(n string) string { return n + "@" + fab }
	cu := func(n string) string { return n + "@" + con }
	d.C1 = e.licCustomer(d.Key, "Fabrikam", "US", "ENTERPRISE", prefix+"A-1", prefix+"E-1", fab,
		fu("alice"), fu("bob"), fu("carol"), fu("dave"), fu("erin"), fu("frank"))
	e.licBuy(d.Key, prefix+"E-1", prefix+"o1", d.C1.AccountID, "O365-E3", 10, "INTUNE", 5)
	e.licDirect(d.Key, d.C1.AccountID, "O365-E1", 4, "2027-11-22", true)
	r := e.mutate(d.Key, licReserveDoc, map[string]any{"in": map[string]any{"enrollmentNumber": prefix + "E-1", "sku": "O365-E3", "quantity": 2,
		"contactEmail": "vic@" + fab, "idempotencyKey": prefix + "r1"}})
	d.ReservationID, d.BillingDate = str(r, "reservation", "id"), str(r, "reservation", "billingDate")
	e.licAssign(d.Key, d.C1.AccountID, "O365-E3", fu("alice"), fu("bob"), fu("carol"))
	e.licAssign(d.Key, d.C1.AccountID, "INTUNE", fu("alice"), fu("bob"))
	e.licAssign(d.Key, d.C1.AccountID, "O365-E1", fu("dave"))

	d.C2 = e.licCustomer(d.Key, "Contoso", "GB", "MPSA", prefix+"M-1", prefix+"E-2", con, cu("xavier"), cu("yara"), cu("zoe"))
	e.licBuy(d.Key, prefix+"E-2", prefix+"o2", d.C2.AccountID, "INTUNE", 7, "M365-E3", 2)
	e.licAssign(d.Key, d.C2.AccountID, "INTUNE", cu("xavier"))
	e.licAssign(d.Key, d.C2.AccountID, "M365-E3", cu("xavier"), cu("yara"))
	return d
}

// licBITotal is the whole licBI data set as of licT0.
var licBITotal = licRow{Licensed: 30, InGrace: 0, Reserved: 2, Assigned: 9, Available: 21}

// ---- R-LIC ----

func TestLicenses(t *testing.T) {
	licCase(t, "R-LIC-1_assign_up_to_licensed_quantity_and_not_past_it", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.licDirect(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)

		p := e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com")
		if got := licStrings(p["changedUsers"]); !reflect.DeepEqual(got, []string{"alice@fabrikam.com", "bob@fabrikam.com"}) {
			t.Fatalf("changedUsers %v", got)
		}
		if str(p, "account", "id") != w.AccountID {
			t.Fatalf("payload account %v", p["account"])
		}
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 3, Assigned: 2, Available: 1})

		// Re-assigning a user who holds the SKU uses no further license: alice + carol needs one.
		p = e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "carol@fabrikam.com")
		if got := licStrings(p["changedUsers"]); !reflect.DeepEqual(got, []string{"carol@fabrikam.com"}) {
			t.Fatalf("changedUsers %v, want only carol (alice already holds INTUNE)", got)
		}
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 3, Assigned: 3, Available: 0})
		// At the limit, assigning holders again is still fine and changes nothing.
		p = e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		if got := licStrings(p["changedUsers"]); len(got) != 0 {
			t.Fatalf("changedUsers %v, want none", got)
		}
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 3, Assigned: 3, Available: 0})

		// One past the licensed quantity: refused, naming the one missing; nothing written.
		ue := e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com")
		licMissing(t, ue, 1)
		// Two new users (alice is not new): two missing.
		ue = e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		licMissing(t, ue, 2)
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 3, Available: 0})

		// All or nothing: a call that would pass the limit assigns none of its users.
		e.licDirect(w.Key, w.AccountID, "O365-E1", 1, "2027-11-22", true)
		licMissing(t, e.licAssignRefused(w.Key, w.AccountID, "O365-E1", "dave@fabrikam.com", "erin@fabrikam.com"), 1)
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licLic{Licensed: 1, Assigned: 0, Available: 1})
		// A user named twice in one call counts once.
		p = e.licAssign(w.Key, w.AccountID, "O365-E1", "dave@fabrikam.com", "DAVE@fabrikam.com")
		licPayloadLic(t, p, "O365-E1", licLic{Licensed: 1, Assigned: 1, Available: 0})

		// Licenses of an enrollment on the account add to the same pool (R-ENR-2).
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 2)
		p = e.licAssign(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com", "erin@fabrikam.com")
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 5, Assigned: 5, Available: 0})
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 5, Assigned: 5, Available: 0})
	})

	licCase(t, "R-LIC-1_expired_quantity_is_not_assignable", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.licDirect(w.Key, w.AccountID, "O365-E1", 5, "2026-11-30", false) // expires 2026-12-01 (R-SUB-5)
		e.licDirect(w.Key, w.AccountID, "O365-E1", 2, "2027-11-30", true)
		e.licAssign(w.Key, w.AccountID, "O365-E1", "alice@fabrikam.com")
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licLic{Licensed: 7, Assigned: 1, Available: 6})

		e.SetNow(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E1", licLic{Licensed: 2, Assigned: 1, Available: 1})
		// Only the ACTIVE 2 count (R-SUB-1): one holder plus two new is one too many.
		ue := e.licAssignRefused(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com", "carol@fabrikam.com")
		licMissing(t, ue, 1)
		p := e.licAssign(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com")
		licPayloadLic(t, p, "O365-E1", licLic{Licensed: 2, Assigned: 2, Available: 0})
		licMissing(t, e.licAssignRefused(w.Key, w.AccountID, "O365-E1", "carol@fabrikam.com"), 1)
	})

	licCase(t, "R-LIC-1_refusals_unknown_account_user_sku_and_reader_key", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licDirect(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)
		other, _ := e.newReseller("Other")
		// Another reseller's account looks missing.
		licHasCode(t, e.licAssignRefused(other, w.AccountID, "INTUNE", "alice@fabrikam.com"), "NOT_FOUND")
		licHasCode(t, e.licAssignRefused(w.Key, licGID("Account", 12345), "INTUNE", "alice@fabrikam.com"), "NOT_FOUND")
		licHasCode(t, e.licAssignRefused(w.Key, w.AccountID, "NOPE", "alice@fabrikam.com"), "UNKNOWN_SKU")
		licHasCode(t, e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "nobody@fabrikam.com"), "NOT_FOUND")
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 0, Available: 3})
		// A READER key reads but does not assign.
		r := e.do(e.readerKey(w.ResellerID), licAssignDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam.com"}})
		if r.errCode() != "FORBIDDEN" {
			t.Fatalf("assignLicenses with a READER key: want FORBIDDEN, got %s", r.Raw)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 0, Available: 3})
	})

	// The schema: UserError.field is "the path to the input field at fault". The users of
	// assignLicenses and removeLicenses are the input field userNames.
	licCase(t, "R-LIC-1_user_error_paths_name_input_fields", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licDirect(w.Key, w.AccountID, "INTUNE", 1, "2027-11-22", true)
		want := func(ue []userError, code, field string) {
			t.Helper()
			for _, u := range ue {
				if u.Code == code && strings.Join(u.Field, ".") == field {
					return
				}
			}
			t.Errorf("want userError %s on %q (the input field of AssignLicensesInput), got %+v", code, field, ue)
		}
		want(e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com"), "NOT_ENOUGH_LICENSES", "userNames")
		want(e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "nobody@fabrikam.com"), "NOT_FOUND", "userNames.1")
	})

	licCase(t, "R-LIC-2_lowered_quantity_makes_a_conflict", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		sub := e.licDirect(w.Key, w.AccountID, "INTUNE", 5, "2027-11-22", true)
		// erin first, the others an hour later: the most recently assigned are carol and dave
		// (ties by the order users were created), not erin.
		e.licAssign(w.Key, w.AccountID, "INTUNE", "erin@fabrikam.com")
		e.SetNow(licT0.Add(time.Hour))
		e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com")
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("no conflict before lowering, got %+v", cs)
		}

		r := e.licSetQty(w.Key, sub, 3, true)
		if ue := licUserErrors(t, r); len(ue) != 0 || num(r.Data, "setSubscriptionQuantity", "subscription", "quantity") != 3 {
			t.Fatalf("lowering with acceptConflict: %s", r.Raw)
		}
		c := licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 3, 0, 5, 2,
			[]string{"carol@fabrikam.com", "dave@fabrikam.com"})
		licWantBuyRemove(t, c, 5, 2)
		if licResolutionOf(c, "RENEW_SUBSCRIPTION") != nil {
			t.Fatalf("nothing expired, no RENEW_SUBSCRIPTION: %+v", c.Resolutions)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 5, Available: 0})
		e.licSummaryMatchesLicenses(t, w.Key, w.AccountID, time.Time{})
		acc, total := e.licAccountsWithConflicts(w.Key, time.Time{})
		if total != 1 || acc[w.AccountID] != [2]int{1, 2} {
			t.Fatalf("accountsWithConflicts: %v (total %d), want %s with 1 SKU, deficit 2", acc, total, w.AccountID)
		}
		// A conflict allows no new assignment.
		e.licAddUsers(w.Key, w.AccountID, "frank@fabrikam.com")
		licMissing(t, e.licAssignRefused(w.Key, w.AccountID, "INTUNE", "frank@fabrikam.com"), 3)
	})

	licCase(t, "R-LIC-3_expired_without_auto_renew_puts_every_user_in_conflict", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		expiring := e.licDirect(w.Key, w.AccountID, "O365-E3", 3, "2026-12-31", false)
		renewing := e.licDirect(w.Key, w.AccountID, "O365-E3", 1, "2027-12-31", true)
		users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com"}
		e.licAssign(w.Key, w.AccountID, "O365-E3", users...)

		lastDay := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
		expired := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		if cs := e.licConflicts(w.Key, w.AccountID, lastDay); len(cs) != 0 {
			t.Fatalf("on its last day the subscription covers its users: %+v", cs)
		}
		// Past the end date: 1 licensed for 3 users, a deficit of 2, but every user of the
		// expired service is affected (R-LIC-3), not only the 2 most recent.
		c := licOneConflict(t, e.licConflicts(w.Key, w.AccountID, expired), "O365-E3", 1, 0, 3, 2, users)
		licWantBuyRemove(t, c, 3, 2)
		renew := licResolutionOf(c, "RENEW_SUBSCRIPTION")
		if renew == nil || !reflect.DeepEqual(renew.SubscriptionIDs, []string{expiring}) || renew.NewTotal == nil || *renew.NewTotal != 4 ||
			renew.UserCount != nil || renew.Message == "" {
			t.Fatalf("RENEW_SUBSCRIPTION: want subscriptionIds [%s] (not %s), newTotal 4, got %+v", expiring, renewing, renew)
		}
		acc, total := e.licAccountsWithConflicts(w.Key, expired)
		if total != 1 || acc[w.AccountID] != [2]int{1, 2} {
			t.Fatalf("accountsWithConflicts(asOf %s): %v, want the account, deficit 2", licAt(expired), acc)
		}
		if _, total := e.licAccountsWithConflicts(w.Key, time.Time{}); total != 0 {
			t.Fatalf("accountsWithConflicts now: %d accounts, want 0", total)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, expired), "O365-E3", licLic{Licensed: 1, Assigned: 3, Available: 0})
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, lastDay), "O365-E3", licLic{Licensed: 4, Assigned: 3, Available: 1})
		e.licSummaryMatchesLicenses(t, w.Key, w.AccountID, lastDay)
		e.licSummaryMatchesLicenses(t, w.Key, w.AccountID, expired)

		// Once it has expired, the conflict is there without asOf; renewing it resolves it.
		e.SetNow(time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC))
		licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 1, 0, 3, 2, users)
		p := e.mutate(w.Key, licRenewSubDoc, map[string]any{"id": renew.SubscriptionIDs[0]})
		if str(p, "subscription", "status") != "ACTIVE" {
			t.Fatalf("renewSubscription: %v", p)
		}
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after renewing, no conflict: %+v", cs)
		}
	})

	licCase(t, "R-LIC-4_resolutions_buy_remove_and_empty_or_null", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com")
		sub := e.licDirect(w.Key, w.AccountID, "INTUNE", 4, "2027-11-22", true)

		// No conflict: an empty list, not null; also for an account with no licenses at all.
		d := e.ok(w.Key, licConflictsDoc, map[string]any{"a": w.AccountID, "at": nil})
		if l, ok := d["licenseConflicts"].([]any); !ok || len(l) != 0 || !strings.Contains(licRaw(t, d), `"licenseConflicts":[]`) {
			t.Fatalf("no conflict: want [], got %s", licRaw(t, d))
		}
		users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com"}
		e.licAssign(w.Key, w.AccountID, "INTUNE", users...)
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("4 of 4 assigned is no conflict: %+v", cs)
		}

		if ue := licUserErrors(t, e.licSetQty(w.Key, sub, 1, true)); len(ue) != 0 {
			t.Fatalf("lowering with acceptConflict: %+v", ue)
		}
		c := licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 1, 0, 4, 3, users[1:])
		licWantBuyRemove(t, c, 4, 3)
		if len(c.Resolutions) != 2 || c.Resolutions[0].Kind != "BUY_MORE" || c.Resolutions[1].Kind != "REMOVE_LICENSES" {
			t.Fatalf("resolutions: want BUY_MORE, REMOVE_LICENSES, got %+v", c.Resolutions)
		}
		// A READER key sees the same.
		if cs := e.licConflicts(e.readerKey(w.ResellerID), w.AccountID, time.Time{}); !reflect.DeepEqual(cs, []licConflict{c}) {
			t.Fatalf("READER key: %+v, want %+v", cs, c)
		}

		// Following BUY_MORE: its newTotal is the total to set (R-SUB-7), and it resolves the conflict.
		if ue := licUserErrors(t, e.licSetQty(w.Key, sub, *licResolutionOf(c, "BUY_MORE").NewTotal, nil)); len(ue) != 0 {
			t.Fatalf("buying up to newTotal: %+v", ue)
		}
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after buying up to newTotal: %+v", cs)
		}
		// Following REMOVE_LICENSES: removing the license from userCount users resolves it.
		if ue := licUserErrors(t, e.licSetQty(w.Key, sub, 2, true)); len(ue) != 0 {
			t.Fatalf("lowering again: %+v", ue)
		}
		c = licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "INTUNE", 2, 0, 4, 2, users[2:])
		licWantBuyRemove(t, c, 4, 2)
		p := e.mutate(w.Key, licRemoveDoc, map[string]any{"a": w.AccountID, "s": "INTUNE", "u": c.AffectedUsers, "c": true})
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 2, Assigned: 2, Available: 0})
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("after removing userCount licenses: %+v", cs)
		}

		// Null for an unknown account, a malformed id, an id of another type and another reseller's account.
		other, _ := e.newReseller("Other")
		for _, tc := range []struct{ key, id string }{
			{w.Key, licGID("Account", 12345)}, {w.Key, "not-an-id"}, {w.Key, w.CustomerID}, {other, w.AccountID},
		} {
			r := e.do(tc.key, licConflictsDoc, map[string]any{"a": tc.id, "at": nil})
			if len(r.Errors) > 0 || r.Data == nil || r.Data["licenseConflicts"] != nil || !strings.Contains(r.Raw, `"licenseConflicts":null`) {
				t.Fatalf("licenseConflicts(%s): want null, got %s", tc.id, r.Raw)
			}
		}
		// Another reseller's conflicts never show in its accountsWithConflicts.
		e.licSetQty(w.Key, sub, 1, true)
		if _, total := e.licAccountsWithConflicts(other, time.Time{}); total != 0 {
			t.Fatalf("another reseller sees %d accounts with conflicts", total)
		}
		if _, total := e.licAccountsWithConflicts(w.Key, time.Time{}); total != 1 {
			t.Fatalf("own accountsWithConflicts: %d, want 1", total)
		}
	})

	licCase(t, "R-LIC-5_remove_needs_confirmed_data_loss_and_deleting_a_user_frees_licenses", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.licDirect(w.Key, w.AccountID, "INTUNE", 3, "2027-11-22", true)
		e.licDirect(w.Key, w.AccountID, "O365-E1", 1, "2027-11-22", true)
		e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		e.licAssign(w.Key, w.AccountID, "O365-E1", "bob@fabrikam.com")

		vars := map[string]any{"a": w.AccountID, "s": "INTUNE", "u": []string{"alice@fabrikam.com"}, "c": false}
		d := e.ok(w.Key, licRemoveDoc, vars)
		if get(d, "removeLicenses", "license") != nil || len(licStrings(get(d, "removeLicenses", "changedUsers"))) != 0 {
			t.Fatalf("a refused removeLicenses changes nothing and has no license: %v", d)
		}
		ue := e.refused(w.Key, licRemoveDoc, vars)
		hasUserError(t, ue, "DATA_LOSS_NOT_CONFIRMED", "confirmDataLoss")
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 3, Available: 0})

		vars["c"] = true
		p := e.mutate(w.Key, licRemoveDoc, vars)
		if got := licStrings(p["changedUsers"]); !reflect.DeepEqual(got, []string{"alice@fabrikam.com"}) {
			t.Fatalf("changedUsers %v", got)
		}
		licPayloadLic(t, p, "INTUNE", licLic{Licensed: 3, Assigned: 2, Available: 1})
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 2, Available: 1})
		// Removing again is idempotent.
		p = e.mutate(w.Key, licRemoveDoc, vars)
		if got := licStrings(p["changedUsers"]); len(got) != 0 {
			t.Fatalf("removing a license not held: changedUsers %v", got)
		}
		// The freed license can be assigned to someone else.
		e.licAssign(w.Key, w.AccountID, "INTUNE", "dave@fabrikam.com")

		// Deleting bob frees his INTUNE and O365-E1 licenses.
		p = e.mutate(w.Key, licDeleteUserDoc, map[string]any{"a": w.AccountID, "u": "bob@fabrikam.com"})
		if got := licStrings(p["freedSkus"]); !reflect.DeepEqual(got, []string{"INTUNE", "O365-E1"}) {
			t.Fatalf("freedSkus %v, want [INTUNE O365-E1]", got)
		}
		if n := num(p, "account", "users", "totalCount"); n != 4 || strings.Contains(fmt.Sprint(get(p, "account", "users")), "bob@") {
			t.Fatalf("after deleting bob: users %v", get(p, "account", "users"))
		}
		lic := e.licLicenses(w.Key, w.AccountID, time.Time{})
		licWantLic(t, lic, "INTUNE", licLic{Licensed: 3, Assigned: 2, Available: 1})
		licWantLic(t, lic, "O365-E1", licLic{Licensed: 1, Assigned: 0, Available: 1})
		e.licAssign(w.Key, w.AccountID, "INTUNE", "erin@fabrikam.com")
		e.licAssign(w.Key, w.AccountID, "O365-E1", "erin@fabrikam.com")
		// The summary's counters follow too (R-BI-1).
		sum := e.licSummary(w.Key, []string{"SKU"}, nil, time.Time{})
		if sum["INTUNE"].Assigned != 3 || sum["O365-E1"].Assigned != 1 {
			t.Fatalf("summary after delete and reassign: %s", licFmtRows(sum))
		}
		// A user who is not there.
		ue = e.refused(w.Key, licDeleteUserDoc, map[string]any{"a": w.AccountID, "u": "bob@fabrikam.com"})
		hasUserError(t, ue, "NOT_FOUND", "userName")
		// A user without licenses: nothing freed.
		e.licAddUsers(w.Key, w.AccountID, "gina@fabrikam.com")
		p = e.mutate(w.Key, licDeleteUserDoc, map[string]any{"a": w.AccountID, "u": "gina@fabrikam.com"})
		if got := licStrings(p["freedSkus"]); len(got) != 0 {
			t.Fatalf("freedSkus of a user without licenses: %v", got)
		}
	})

	// AccountLicense.inGrace in the assign/remove payload: "The SKU's licenses on the account
	// after the change" must agree with Account.licenses, also while a renewal is in grace.
	licCase(t, "R-LIC-5_payload_license_matches_account_licenses_during_grace", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e.licAssign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		e.mutate(w.Key, licRenewEnrDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E5", "quantity": 4}}}})
		want := e.licLicenses(w.Key, w.AccountID, time.Time{})
		if want["O365-E3"].InGrace != 4 {
			t.Fatalf("setup: O365-E3 in grace: %+v", want)
		}
		p := e.mutate(w.Key, licRemoveDoc, map[string]any{"a": w.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com"}, "c": true})
		licPayloadLic(t, p, "O365-E3", e.licLicenses(w.Key, w.AccountID, time.Time{})["O365-E3"])
	})

	licCase(t, "R-LIC-6_lowering_below_assigned_needs_accept_conflict", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 5)
		sub := e.licEnrollmentSubs(w.Key, "E-1")["O365-E3"]
		e.licAssign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")

		for _, acc := range []any{nil, false} {
			r := e.licSetQty(w.Key, sub, 2, acc)
			ue := licUserErrors(t, r)
			hasUserError(t, ue, "BELOW_ASSIGNED", "quantity")
			if get(r.Data, "setSubscriptionQuantity", "subscription") != nil {
				t.Errorf("refused setSubscriptionQuantity must carry no subscription: %s", r.Raw)
			}
			licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licLic{Licensed: 5, Assigned: 3, Available: 2})
			if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
				t.Fatalf("a refused lowering makes no conflict: %+v", cs)
			}
		}
		// Down to exactly what is assigned needs no acceptance.
		if ue := licUserErrors(t, e.licSetQty(w.Key, sub, 3, nil)); len(ue) != 0 {
			t.Fatalf("lowering to the assigned count: %+v", ue)
		}
		r := e.licSetQty(w.Key, sub, 2, true)
		if ue := licUserErrors(t, r); len(ue) != 0 || num(r.Data, "setSubscriptionQuantity", "subscription", "quantity") != 2 {
			t.Fatalf("lowering with acceptConflict: %s", r.Raw)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licLic{Licensed: 2, Assigned: 3, Available: 0})
		licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 2, 0, 3, 1, []string{"carol@fabrikam.com"})
	})

	licCase(t, "R-LIC-6_the_whole_pool_counts_not_only_the_lowered_subscription", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com")
		a := e.licDirect(w.Key, w.AccountID, "INTUNE", 5, "2027-11-22", true)
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 2)
		b := e.licEnrollmentSubs(w.Key, "E-1")["INTUNE"]
		e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com")
		// 1 + 2 still covers 3 users.
		if ue := licUserErrors(t, e.licSetQty(w.Key, a, 1, nil)); len(ue) != 0 {
			t.Fatalf("lowering one subscription while the pool still covers: %+v", ue)
		}
		// 1 + 1 does not.
		hasUserError(t, licUserErrors(t, e.licSetQty(w.Key, b, 1, nil)), "BELOW_ASSIGNED", "quantity")
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 3, Assigned: 3, Available: 0})
		// Raising needs nothing.
		if ue := licUserErrors(t, e.licSetQty(w.Key, b, 4, nil)); len(ue) != 0 {
			t.Fatalf("raising: %+v", ue)
		}
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "INTUNE", licLic{Licensed: 5, Assigned: 3, Available: 2})
	})

	licCase(t, "R-LIC-7_renewal_onto_another_sku_projects_conflicts_at_grace_end", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e3Users := []string{"alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com"}
		e.licAssign(w.Key, w.AccountID, "O365-E3", e3Users...)

		p := e.mutate(w.Key, licRenewEnrDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E5", "quantity": 4}}}})
		if !reflect.DeepEqual(licStrings(p["reassignSkus"]), []string{"O365-E3"}) || len(licStrings(p["carriedSkus"])) != 0 ||
			str(p, "newEnrollment", "account", "id") != w.AccountID {
			t.Fatalf("renewEnrollment E3 -> E5: %v", p)
		}
		graceEnd, err := time.Parse(time.RFC3339Nano, str(p, "graceUntil"))
		if err != nil || !graceEnd.Equal(licT0.Add(30*licDay)) {
			t.Fatalf("graceUntil %q, want renewal + 30 days (%s)", str(p, "graceUntil"), licAt(licT0.Add(30*licDay)))
		}

		// During grace the E3 users keep access: no conflict today, nor just before the end.
		if cs := e.licConflicts(w.Key, w.AccountID, time.Time{}); len(cs) != 0 {
			t.Fatalf("in grace, no conflict today: %+v", cs)
		}
		if cs := e.licConflicts(w.Key, w.AccountID, graceEnd.Add(-time.Second)); len(cs) != 0 {
			t.Fatalf("in grace until its last second: %+v", cs)
		}
		lic := e.licLicenses(w.Key, w.AccountID, time.Time{})
		licWantLic(t, lic, "O365-E3", licLic{Licensed: 0, InGrace: 4, Assigned: 3, Available: 0})
		licWantLic(t, lic, "O365-E5", licLic{Licensed: 4, InGrace: 0, Assigned: 0, Available: 4})
		// In-grace licenses are not licensed: no new E3 assignment (R-SUB-1, R-LIC-1).
		licHasCode(t, e.licAssignRefused(w.Key, w.AccountID, "O365-E3", "dave@fabrikam.com"), "NOT_ENOUGH_LICENSES")

		// Projected to the end of the grace period, the E3 users lose access (R-SUB-3, R-SUB-4).
		c := licOneConflict(t, e.licConflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 3, 3, e3Users)
		licWantBuyRemove(t, c, 3, 3)
		if licResolutionOf(c, "RENEW_SUBSCRIPTION") != nil {
			t.Fatalf("a deprovisioned subscription is not offered for renewal: %+v", c.Resolutions)
		}
		c = licOneConflict(t, e.licConflicts(w.Key, w.AccountID, graceEnd.Add(10*licDay)), "O365-E3", 0, 0, 3, 3, e3Users)
		lic = e.licLicenses(w.Key, w.AccountID, graceEnd)
		licWantLic(t, lic, "O365-E3", licLic{Licensed: 0, InGrace: 0, Assigned: 3, Available: 0})
		for _, at := range []time.Time{{}, graceEnd.Add(-time.Second), graceEnd} {
			e.licSummaryMatchesLicenses(t, w.Key, w.AccountID, at)
		}

		acc, total := e.licAccountsWithConflicts(w.Key, graceEnd)
		if total != 1 || acc[w.AccountID] != [2]int{1, 3} {
			t.Fatalf("accountsWithConflicts(asOf grace end): %v (total %d), want the account with 1 SKU, deficit 3", acc, total)
		}
		for _, at := range []time.Time{{}, licT0, graceEnd.Add(-time.Second)} {
			if acc, total := e.licAccountsWithConflicts(w.Key, at); total != 0 {
				t.Fatalf("accountsWithConflicts(asOf %v): %v, want none during grace", at, acc)
			}
		}

		// The administrator moves alice and bob to E5: only carol is left to lose access.
		e.licAssign(w.Key, w.AccountID, "O365-E5", "alice@fabrikam.com", "bob@fabrikam.com")
		e.mutate(w.Key, licRemoveDoc, map[string]any{"a": w.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com", "bob@fabrikam.com"}, "c": true})
		licOneConflict(t, e.licConflicts(w.Key, w.AccountID, graceEnd), "O365-E3", 0, 0, 1, 1, []string{"carol@fabrikam.com"})
		if acc, _ := e.licAccountsWithConflicts(w.Key, graceEnd); acc[w.AccountID] != [2]int{1, 1} {
			t.Fatalf("accountsWithConflicts after moving two users: %v", acc)
		}
		// Once the grace period has really ended, today's conflicts say the same.
		e.SetNow(graceEnd.Add(time.Hour))
		licOneConflict(t, e.licConflicts(w.Key, w.AccountID, time.Time{}), "O365-E3", 0, 0, 1, 1, []string{"carol@fabrikam.com"})
	})

	licCase(t, "R-LIC-7_same_sku_renewal_carries_assignments_without_conflict", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 4)
		e.licAssign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		p := e.mutate(w.Key, licRenewEnrDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22"}})
		if !reflect.DeepEqual(licStrings(p["carriedSkus"]), []string{"O365-E3"}) {
			t.Fatalf("renewal with the same SKUs: %v", p)
		}
		graceEnd := licT0.Add(30 * licDay)
		for _, at := range []time.Time{{}, graceEnd, graceEnd.Add(400 * licDay)} {
			if cs := e.licConflicts(w.Key, w.AccountID, at); len(cs) != 0 {
				t.Fatalf("carried assignments are covered (asOf %v): %+v", at, cs)
			}
		}
		// Renewed and in grace together are not a double count (R-SUB-2).
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, time.Time{}), "O365-E3", licLic{Licensed: 4, InGrace: 4, Assigned: 2, Available: 2})
		licWantLic(t, e.licLicenses(w.Key, w.AccountID, graceEnd), "O365-E3", licLic{Licensed: 4, InGrace: 0, Assigned: 2, Available: 2})
	})

	// ---- R-BI ----

	licCase(t, "R-BI-1_summary_grouped_by_sku_customer_program_family_account", func(t *testing.T, e *env) {
		d := e.licBIData("Reseller", "")
		c1, c2 := d.C1, d.C2
		licWantSummary(t, "by SKU", e.licSummary(d.Key, []string{"SKU"}, nil, time.Time{}), map[string]licRow{
			"INTUNE":  {Licensed: 12, Assigned: 3, Available: 9},
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		licWantSummary(t, "by CUSTOMER", e.licSummary(d.Key, []string{"CUSTOMER"}, nil, time.Time{}), map[string]licRow{
			c1.CustomerID: {Licensed: 21, Reserved: 2, Assigned: 6, Available: 15},
			c2.CustomerID: {Licensed: 9, Assigned: 3, Available: 6},
		})
		licWantSummary(t, "by PROGRAM, FAMILY", e.licSummary(d.Key, []string{"PROGRAM", "FAMILY"}, nil, time.Time{}), map[string]licRow{
			"ENTERPRISE|OFFICE_365": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
			"ENTERPRISE|INTUNE":     {Licensed: 5, Assigned: 2, Available: 3},
			"MOSP|OFFICE_365":       {Licensed: 4, Assigned: 1, Available: 3},
			"MPSA|INTUNE":           {Licensed: 7, Assigned: 1, Available: 6},
			"MPSA|MICROSOFT_365":    {Licensed: 2, Assigned: 2, Available: 0},
		})
		licWantSummary(t, "by ACCOUNT", e.licSummary(d.Key, []string{"ACCOUNT"}, nil, time.Time{}), map[string]licRow{
			c1.AccountID: {Licensed: 21, Reserved: 2, Assigned: 6, Available: 15},
			c2.AccountID: {Licensed: 9, Assigned: 3, Available: 6},
		})
		licWantSummary(t, "by ENROLLMENT", e.licSummary(d.Key, []string{"ENROLLMENT"}, nil, time.Time{}), map[string]licRow{
			"E-1": {Licensed: 17, Reserved: 2, Assigned: 5, Available: 12},
			"E-2": {Licensed: 9, Assigned: 3, Available: 6},
			"":    {Licensed: 4, Assigned: 1, Available: 3}, // the direct purchase has no enrollment
		})
		licWantSummary(t, "by AGREEMENT", e.licSummary(d.Key, []string{"AGREEMENT"}, nil, time.Time{}), map[string]licRow{
			c1.AgreementID: {Licensed: 17, Reserved: 2, Assigned: 5, Available: 12},
			c2.AgreementID: {Licensed: 9, Assigned: 3, Available: 6},
			"":             {Licensed: 4, Assigned: 1, Available: 3},
		})
		licWantSummary(t, "by RESELLER", e.licSummary(d.Key, []string{"RESELLER"}, nil, time.Time{}), map[string]licRow{d.ResellerID: licBITotal})
		licWantSummary(t, "no groupBy", e.licSummary(d.Key, []string{}, nil, time.Time{}), map[string]licRow{"": licBITotal})
		// Grouped by pool dimensions and by subscription dimensions, the totals agree.
		for _, g := range [][]string{{"SKU"}, {"CUSTOMER"}, {"PROGRAM", "FAMILY"}, {"ACCOUNT", "SKU"}, {"CUSTOMER", "ENROLLMENT", "SKU"}} {
			var tot licRow
			for _, r := range e.licSummary(d.Key, g, nil, time.Time{}) {
				tot = tot.add(r)
			}
			if tot != licBITotal {
				t.Fatalf("by %v the groups add up to %+v, want %+v", g, tot, licBITotal)
			}
		}
		// Each account's groups equal its Account.licenses.
		for _, acc := range []string{c1.AccountID, c2.AccountID} {
			lic := e.licLicenses(d.Key, acc, time.Time{})
			sum := e.licSummary(d.Key, []string{"SKU"}, map[string]any{"accountIds": []string{acc}}, time.Time{})
			if len(sum) != len(lic) {
				t.Fatalf("account %s: summary %s, licenses %+v", acc, licFmtRows(sum), lic)
			}
			for sku, l := range lic {
				r := sum[sku]
				if (licLic{r.Licensed, r.InGrace, r.Assigned, r.Available}) != l {
					t.Fatalf("account %s %s: summary %+v, Account.licenses %+v", acc, sku, r, l)
				}
			}
		}
	})

	licCase(t, "R-BI-1_available_counted_per_pool_with_a_conflict", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licAddUsers(w.Key, w.AccountID, "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "INTUNE", 5)
		e.licDirect(w.Key, w.AccountID, "O365-E1", 4, "2027-11-22", true)
		e.licAssign(w.Key, w.AccountID, "INTUNE", "alice@fabrikam.com", "bob@fabrikam.com", "carol@fabrikam.com", "dave@fabrikam.com", "erin@fabrikam.com")
		e.licAssign(w.Key, w.AccountID, "O365-E1", "alice@fabrikam.com")
		sub := e.licEnrollmentSubs(w.Key, "E-1")["INTUNE"]
		if ue := licUserErrors(t, e.licSetQty(w.Key, sub, 3, true)); len(ue) != 0 {
			t.Fatalf("lowering: %+v", ue)
		}
		// INTUNE: 3 licensed, 5 assigned (a conflict), nothing available; O365-E1: 3 spare,
		// which cover no INTUNE user: 3 available in every grouping, not 1.
		total := licRow{Licensed: 7, Assigned: 6, Available: 3}
		licWantSummary(t, "by SKU", e.licSummary(w.Key, []string{"SKU"}, nil, time.Time{}), map[string]licRow{
			"INTUNE":  {Licensed: 3, Assigned: 5, Available: 0},
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
		})
		for _, g := range [][]string{{}, {"ACCOUNT"}, {"CUSTOMER"}, {"RESELLER"}, {"PROGRAM"}, {"ENROLLMENT"}, {"AGREEMENT"}, {"FAMILY"}, {"PROGRAM", "SKU"}} {
			var sum licRow
			for _, r := range e.licSummary(w.Key, g, nil, time.Time{}) {
				if r.Available < 0 || r.Available > r.Licensed {
					t.Fatalf("by %v: a group with available %d of %d licensed", g, r.Available, r.Licensed)
				}
				sum = sum.add(r)
			}
			if sum != total {
				t.Fatalf("by %v the groups add up to %+v, want %+v", g, sum, total)
			}
		}
		licWantSummary(t, "by CUSTOMER", e.licSummary(w.Key, []string{"CUSTOMER"}, nil, time.Time{}), map[string]licRow{w.CustomerID: total})
		e.licSummaryMatchesLicenses(t, w.Key, w.AccountID, time.Time{})
	})

	licCase(t, "R-BI-1_summary_filters", func(t *testing.T, e *env) {
		d := e.licBIData("Reseller", "")
		c1, c2 := d.C1, d.C2
		f := func(groupBy []string, filter map[string]any, want map[string]licRow) {
			t.Helper()
			licWantSummary(t, fmt.Sprintf("by %v filtered %v", groupBy, filter), e.licSummary(d.Key, groupBy, filter, time.Time{}), want)
		}
		f([]string{"CUSTOMER"}, map[string]any{"skus": []string{"INTUNE"}}, map[string]licRow{
			c1.CustomerID: {Licensed: 5, Assigned: 2, Available: 3},
			c2.CustomerID: {Licensed: 7, Assigned: 1, Available: 6},
		})
		f([]string{"SKU"}, map[string]any{"families": []string{"OFFICE_365"}}, map[string]licRow{
			"O365-E1": {Licensed: 4, Assigned: 1, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		f([]string{"SKU"}, map[string]any{"customerIds": []string{c2.CustomerID}}, map[string]licRow{
			"INTUNE":  {Licensed: 7, Assigned: 1, Available: 6},
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
		})
		f([]string{"PROGRAM"}, map[string]any{"customerIds": []string{c1.CustomerID}, "families": []string{"INTUNE", "MICROSOFT_365"}}, map[string]licRow{
			"ENTERPRISE": {Licensed: 5, Assigned: 2, Available: 3},
		})
		f([]string{"ACCOUNT"}, map[string]any{"programs": []string{"MOSP"}}, map[string]licRow{
			c1.AccountID: {Licensed: 4, Assigned: 1, Available: 3},
		})
		f([]string{}, map[string]any{"accountIds": []string{c2.AccountID}}, map[string]licRow{
			"": {Licensed: 9, Assigned: 3, Available: 6},
		})
		f([]string{"SKU"}, map[string]any{"enrollmentIds": []string{c1.EnrollmentID}}, map[string]licRow{
			"INTUNE":  {Licensed: 5, Assigned: 2, Available: 3},
			"O365-E3": {Licensed: 12, Reserved: 2, Assigned: 3, Available: 9},
		})
		f([]string{"CUSTOMER"}, map[string]any{"agreementIds": []string{c2.AgreementID}, "skus": []string{"M365-E3", "O365-E3"}}, map[string]licRow{
			c2.CustomerID: {Licensed: 2, Assigned: 2, Available: 0},
		})
		f([]string{"SKU"}, map[string]any{"customerIds": []string{c1.CustomerID, c2.CustomerID}, "skus": []string{"INTUNE"}}, map[string]licRow{
			"INTUNE": {Licensed: 12, Assigned: 3, Available: 9},
		})
		f([]string{"SKU"}, map[string]any{"resellerIds": []string{d.ResellerID}, "families": []string{"MICROSOFT_365"}}, map[string]licRow{
			"M365-E3": {Licensed: 2, Assigned: 2, Available: 0},
		})
		// Matching nothing: no group at all, also without groupBy.
		f([]string{"SKU"}, map[string]any{"skus": []string{"D365-SALES-PRO"}}, map[string]licRow{})
		f([]string{}, map[string]any{"customerIds": []string{licGID("Customer", 12345)}}, map[string]licRow{})
		f([]string{"ACCOUNT"}, map[string]any{"accountIds": []string{"not-an-id"}}, map[string]licRow{})
	})

	licCase(t, "R-BI-1_in_grace_after_renewal", func(t *testing.T, e *env) {
		w := e.licWorld("Reseller", "ENTERPRISE", "A-1", "E-1", "fabrikam.com")
		e.licBuy(w.Key, "E-1", "o1", w.AccountID, "O365-E3", 10, "INTUNE", 3)
		e.licAssign(w.Key, w.AccountID, "O365-E3", "alice@fabrikam.com", "bob@fabrikam.com")
		e.mutate(w.Key, licRenewEnrDoc, map[string]any{"in": map[string]any{"enrollmentNumber": "E-1", "newEnrollmentNumber": "E-1R",
			"startDate": "2026-11-23", "endDate": "2029-11-22", "lines": []any{map[string]any{"sku": "O365-E3", "quantity": 10}}}})
		graceEnd := licT0.Add(30 * licDay)

		licWantSummary(t, "by SKU in grace", e.licSummary(w.Key, []string{"SKU"}, nil, time.Time{}), map[string]licRow{
			"O365-E3": {Licensed: 10, InGrace: 10, Assigned: 2, Available: 8},
			"INTUNE":  {Licensed: 0, InGrace: 3, Assigned: 0, Available: 0},
		})
		licWantSummary(t, "by ENROLLMENT in grace", e.licSummary(w.Key, []string{"ENROLLMENT"}, nil, time.Time{}), map[string]licRow{
			"E-1":  {Licensed: 0, InGrace: 13, Assigned: 0, Available: 0},
			"E-1R": {Licensed: 10, InGrace: 0, Assigned: 2, Available: 8},
		})
		licWantSummary(t, "by PROGRAM, FAMILY in grace", e.licSummary(w.Key, []string{"PROGRAM", "FAMILY"}, nil, time.Time{}), map[string]licRow{
			"ENTERPRISE|OFFICE_365": {Licensed: 10, InGrace: 10, Assigned: 2, Available: 8},
			"ENTERPRISE|INTUNE":     {Licensed: 0, InGrace: 3, Assigned: 0, Available: 0},
		})
		// Grace ends: nothing in grace any more; a pool left with nothing shows zeros, if at all.
		after := e.licSummary(w.Key, []string{"SKU"}, nil, graceEnd)
		if after["O365-E3"] != (licRow{Licensed: 10, Assigned: 2, Available: 8}) {
			t.Fatalf("O365-E3 after grace: %s", licFmtRows(after))
		}
		if r, ok := after["INTUNE"]; ok && r != (licRow{}) {
			t.Fatalf("INTUNE after grace must be all zeros: %s", licFmtRows(after))
		}
		licWantSummary(t, "total after grace", e.licSummary(w.Key, nil, nil, graceEnd), map[string]licRow{"": {Licensed: 10, Assigned: 2, Available: 8}})
		// The summary agrees with Account.licenses at both instants.
		for _, at := range []time.Time{{}, graceEnd} {
			lic := e.licLicenses(w.Key, w.AccountID, at)
			sum := e.licSummary(w.Key, []string{"SKU"}, map[string]any{"accountIds": []string{w.AccountID}}, at)
			for sku, l := range lic {
				r := sum[sku]
				if (licLic{r.Licensed, r.InGrace, r.Assigned, r.Available}) != l {
					t.Fatalf("asOf %v %s: summary %+v, Account.licenses %+v", at, sku, r, l)
				}
			}
		}
	})

	licCase(t, "R-BI-1_reserved_not_billed_until_the_anniversary", func(t *testing.T, e *env) {
		d := e.licBIData("Reseller", "")
		if d.BillingDate != "2027-01-01" {
			t.Fatalf("setup: the reservation is billed at the next anniversary 2027-01-01, got %q", d.BillingDate)
		}
		billing := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tc := range []struct {
			at       time.Time
			reserved int
		}{{time.Time{}, 2}, {billing.Add(-time.Second), 2}, {billing, 0}, {billing.Add(40 * licDay), 0}} {
			sum := e.licSummary(d.Key, []string{"SKU"}, map[string]any{"skus": []string{"O365-E3"}}, tc.at)
			// Reserved licenses are licensed at once and stay licensed once billed (R-RES-1).
			if sum["O365-E3"] != (licRow{Licensed: 12, Reserved: tc.reserved, Assigned: 3, Available: 9}) {
				t.Fatalf("asOf %v: O365-E3 %+v, want reservedNotBilled %d of licensed 12", tc.at, sum["O365-E3"], tc.reserved)
			}
			// It agrees with the reservations the API lists as not billed.
			at := tc.at
			if at.IsZero() {
				at = licT0
			}
			if n := num(e.ok(d.Key, licReservationsDoc, map[string]any{"at": licAt(at)}), "reservations", "totalCount"); (n == 1) != (tc.reserved == 2) {
				t.Fatalf("asOf %v: reservations(notBilledAsOf) lists %d, summary reservedNotBilled %d", at, n, tc.reserved)
			}
			tot := e.licSummary(d.Key, []string{"CUSTOMER"}, nil, tc.at)[d.C1.CustomerID]
			if tot.Reserved != tc.reserved || tot.Licensed != 21 {
				t.Fatalf("asOf %v by CUSTOMER: %+v", tc.at, tot)
			}
		}
	})

	licCase(t, "R-BI-1_reader_key_and_reseller_isolation", func(t *testing.T, e *env) {
		a := e.licBIData("Reseller A", "")
		before := e.licSummary(a.Key, nil, nil, time.Time{})
		licWantSummary(t, "A's total", before, map[string]licRow{"": licBITotal})

		// Reseller B with the same names and domains, and more licenses.
		b := e.licBIData("Reseller B", "")
		e.licDirect(b.Key, b.C2.AccountID, "INTUNE", 50, "2027-11-22", true)
		bTotal := licBITotal.add(licRow{Licensed: 50, Available: 50})

		reader := e.readerKey(a.ResellerID)
		for _, key := range []string{a.Key, reader} {
			licWantSummary(t, "A's total after B", e.licSummary(key, nil, nil, time.Time{}), map[string]licRow{"": licBITotal})
			licWantSummary(t, "A by RESELLER", e.licSummary(key, []string{"RESELLER"}, nil, time.Time{}), map[string]licRow{a.ResellerID: licBITotal})
			by := e.licSummary(key, []string{"ACCOUNT"}, nil, time.Time{})
			if len(by) != 2 || by[a.C1.AccountID].Licensed != 21 || by[a.C2.AccountID].Licensed != 9 {
				t.Fatalf("A by ACCOUNT shows other accounts: %s", licFmtRows(by))
			}
			// Filters on B's objects match nothing for A.
			for _, filter := range []map[string]any{
				{"resellerIds": []string{b.ResellerID}}, {"customerIds": []string{b.C1.CustomerID}}, {"accountIds": []string{b.C2.AccountID}},
				{"agreementIds": []string{b.C1.AgreementID}}, {"enrollmentIds": []string{b.C2.EnrollmentID}},
			} {
				if got := e.licSummary(key, []string{"SKU"}, filter, time.Time{}); len(got) != 0 {
					t.Fatalf("A filtered by B's %v: %s", filter, licFmtRows(got))
				}
			}
		}
		licWantSummary(t, "B's total", e.licSummary(b.Key, nil, nil, time.Time{}), map[string]licRow{"": bTotal})
		licWantSummary(t, "B by RESELLER (READER)", e.licSummary(e.readerKey(b.ResellerID), []string{"RESELLER"}, nil, time.Time{}),
			map[string]licRow{b.ResellerID: bTotal})
		// The operator sees both, apart.
		licWantSummary(t, "operator by RESELLER", e.licSummary(e.Operator, []string{"RESELLER"}, nil, time.Time{}), map[string]licRow{
			a.ResellerID: licBITotal, b.ResellerID: bTotal,
		})
		licWantSummary(t, "operator filtered to A", e.licSummary(e.Operator, nil, map[string]any{"resellerIds": []string{a.ResellerID}}, time.Time{}),
			map[string]licRow{"": licBITotal})
		// A READER key reads conflicts and licenses too, but writes nothing.
		if l := e.licLicenses(reader, a.C1.AccountID, time.Time{}); l["O365-E3"].Assigned != 3 {
			t.Fatalf("READER Account.licenses: %+v", l)
		}
		if r := e.do(reader, licRemoveDoc, map[string]any{"a": a.C1.AccountID, "s": "O365-E3", "u": []string{"alice@fabrikam.com"}, "c": true}); r.errCode() != "FORBIDDEN" {
			t.Fatalf("removeLicenses with a READER key: %s", r.Raw)
		}
		// Without a key: UNAUTHENTICATED, no data.
		if r := e.do("", licSummaryDoc, map[string]any{"g": []string{"SKU"}}); r.errCode() != "UNAUTHENTICATED" || get(r.Data, "licenseSummary") != nil {
			t.Fatalf("licenseSummary without a key: %s", r.Raw)
		}
	})

	licCase(t, "R-BI-1_pagination_covers_every_group_once", func(t *testing.T, e *env) {
		d := e.licBIData("Reseller", "")
		groupBy := []string{"ACCOUNT", "SKU"}
		all := e.licSummary(d.Key, groupBy, nil, time.Time{})
		if len(all) != 5 {
			t.Fatalf("setup: 5 (account, SKU) groups, got %s", licFmtRows(all))
		}
		seen := map[string]licRow{}
		after, pages := "", 0
		for {
			conn := e.licSummaryPage(d.Key, groupBy, nil, time.Time{}, 2, after)
			pages++
			if num(conn, "totalCount") != 5 || get(conn, "pageInfo", "hasPreviousPage") != false {
				t.Fatalf("page %d: %v", pages, conn)
			}
			edges, _ := get(conn, "edges").([]any)
			if len(edges) == 0 || len(edges) > 2 {
				t.Fatalf("page %d: %d edges", pages, len(edges))
			}
			if str(conn, "pageInfo", "startCursor") != str(edges[0], "cursor") || str(conn, "pageInfo", "endCursor") != str(edges[len(edges)-1], "cursor") {
				t.Fatalf("page %d: pageInfo cursors do not match the edges: %v", pages, conn)
			}
			for _, ed := range edges {
				k := licKeyOf(get(ed, "node"), groupBy)
				if _, dup := seen[k]; dup {
					t.Fatalf("group %s on two pages", k)
				}
				seen[k] = licRowOf(get(ed, "node"))
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				break
			}
			if pages > 5 {
				t.Fatalf("pagination does not end")
			}
			after = str(conn, "pageInfo", "endCursor")
		}
		if pages != 3 || !reflect.DeepEqual(seen, all) {
			t.Fatalf("%d pages covering %s, want 3 covering %s", pages, licFmtRows(seen), licFmtRows(all))
		}
		// After the last group: an empty page, with the same totalCount.
		last := e.licSummaryPage(d.Key, groupBy, nil, time.Time{}, 2, after)
		end := str(last, "pageInfo", "endCursor")
		past := e.licSummaryPage(d.Key, groupBy, nil, time.Time{}, 2, end)
		if edges, _ := get(past, "edges").([]any); len(edges) != 0 || num(past, "totalCount") != 5 || get(past, "pageInfo", "hasNextPage") != false {
			t.Fatalf("past the last page: %v", past)
		}
		// The default page holds every group here; bad page arguments are BAD_USER_INPUT.
		if conn := e.licSummaryPage(d.Key, groupBy, nil, time.Time{}, 0, ""); len(get(conn, "edges").([]any)) != 5 {
			t.Fatalf("default page: %v", conn)
		}
		for _, vars := range []map[string]any{{"first": 0}, {"first": 101}, {"after": "bogus"}, {"g": []string{"SKU", "SKU"}}} {
			if vars["g"] == nil {
				vars["g"] = groupBy
			}
			if r := e.do(d.Key, licSummaryDoc, vars); r.errCode() != "BAD_USER_INPUT" {
				t.Fatalf("licenseSummary %v: want BAD_USER_INPUT, got %s", vars, r.Raw)
			}
		}
	})

	licCase(t, "R-BI-2_summary_matches_account_licenses_on_seeded_data", func(t *testing.T, e *env) {
		key, _ := licSeed(t, e)
		at := licT0
		// Every account of the reseller, with Account.licenses as of at.
		type acct struct {
			customer string
			lic      map[string]licLic
		}
		accounts := map[string]acct{}
		var after any
		for page := 0; page < 100; page++ {
			dd := e.ok(key, `query($at: DateTime, $after: String) { accounts(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor }
				edges { node { id customer { id } licenses(asOf: $at) { `+licLicSel+` } } } } }`, map[string]any{"at": licAt(at), "after": after})
			conn := get(dd, "accounts")
			edges, _ := get(conn, "edges").([]any)
			for _, ed := range edges {
				n := get(ed, "node")
				a := acct{customer: str(n, "customer", "id"), lic: map[string]licLic{}}
				for _, l := range get(n, "licenses").([]any) {
					a.lic[str(l, "sku", "code")] = licLicOf(l)
				}
				accounts[str(n, "id")] = a
			}
			if get(conn, "pageInfo", "hasNextPage") != true {
				if num(conn, "totalCount") != len(accounts) {
					t.Fatalf("accounts: totalCount %d, listed %d", num(conn, "totalCount"), len(accounts))
				}
				break
			}
			after = str(conn, "pageInfo", "endCursor")
		}
		if len(accounts) < 20 {
			t.Fatalf("seed made only %d accounts", len(accounts))
		}

		// By (ACCOUNT, SKU): exactly the accounts' licenses, one group per (account, SKU).
		byAccSKU := e.licSummary(key, []string{"ACCOUNT", "SKU"}, nil, at)
		want := map[string]licRow{}
		wantAcc := map[string]licRow{}
		for id, a := range accounts {
			for sku, l := range a.lic {
				r := licRow{Licensed: l.Licensed, InGrace: l.InGrace, Assigned: l.Assigned, Available: l.Available}
				want[id+"|"+sku] = r
				wantAcc[id] = wantAcc[id].add(r)
			}
		}
		gotAccSKU := map[string]licRow{}
		var noAccount licRow
		for k, r := range byAccSKU {
			if strings.HasPrefix(k, "|") { // licenses of enrollments not activated: on no account
				noAccount = noAccount.add(r)
				continue
			}
			r.Reserved = 0 // Account.licenses has no reservedNotBilled
			gotAccSKU[k] = r
		}
		licWantSummary(t, "summary by ACCOUNT, SKU vs Account.licenses", gotAccSKU, want)
		if noAccount.Assigned != 0 || noAccount.InGrace != 0 {
			t.Fatalf("licenses on no account have no users: %+v", noAccount)
		}

		// By ACCOUNT: each account's sums of its licenses.
		byAcc := e.licSummary(key, []string{"ACCOUNT"}, nil, at)
		gotAcc := map[string]licRow{}
		for k, r := range byAcc {
			if k == "" {
				if (licRow{Licensed: r.Licensed, Reserved: r.Reserved, Available: r.Available}) != r {
					t.Fatalf("the no-account group has users or grace: %+v", r)
				}
				continue
			}
			r.Reserved = 0
			gotAcc[k] = r
		}
		for id := range accounts {
			if _, ok := wantAcc[id]; !ok {
				wantAcc[id] = licRow{} // an account with no licenses: no group, or an empty one
				if _, ok := gotAcc[id]; !ok {
					delete(wantAcc, id)
				}
			}
		}
		licWantSummary(t, "summary by ACCOUNT vs sums of Account.licenses", gotAcc, wantAcc)

		// By (CUSTOMER, ACCOUNT), which allocates users to subscriptions: per account the same.
		byCusAcc := e.licSummary(key, []string{"CUSTOMER", "ACCOUNT"}, nil, at)
		gotCA := map[string]licRow{}
		for k, r := range byCusAcc {
			cus, acc, _ := strings.Cut(k, "|")
			if acc == "" {
				continue
			}
			if accounts[acc].customer != cus {
				t.Fatalf("group %s: account %s belongs to customer %s", k, acc, accounts[acc].customer)
			}
			r.Reserved = 0
			gotCA[acc] = gotCA[acc].add(r)
		}
		licWantSummary(t, "summary by CUSTOMER, ACCOUNT vs sums of Account.licenses", gotCA, wantAcc)

		// Every grouping adds up to the same total, and the data set has variety.
		total := e.licSummary(key, nil, nil, at)[""]
		if total.Assigned != 3000 || total.InGrace == 0 || total.Reserved == 0 || total.Licensed == 0 || total.Available == 0 {
			t.Fatalf("seeded total lacks variety: %+v", total)
		}
		for _, g := range [][]string{{"ACCOUNT"}, {"CUSTOMER"}, {"PROGRAM", "FAMILY"}, {"ENROLLMENT", "SKU"}, {"AGREEMENT"}, {"SKU"}, {"RESELLER"}} {
			var sum licRow
			for _, r := range e.licSummary(key, g, nil, at) {
				sum = sum.add(r)
			}
			if sum != total {
				t.Fatalf("by %v the groups add up to %+v, total %+v", g, sum, total)
			}
		}
		// A few accounts, filtered one by one, match their licenses.
		n := 0
		for id := range accounts {
			if n++; n > 5 {
				break
			}
			got := e.licSummary(key, nil, map[string]any{"accountIds": []string{id}}, at)[""]
			got.Reserved = 0
			if got != wantAcc[id] {
				t.Fatalf("summary filtered to %s: %+v, Account.licenses sums %+v", id, got, wantAcc[id])
			}
		}
	})

	licCase(t, "R-LIC-2_accounts_with_conflicts_matches_conflicts_on_seeded_data", func(t *testing.T, e *env) {
		key, rep := licSeed(t, e)
		listed, total := e.licAccountsWithConflicts(key, licT0)
		if total == 0 || total != rep.ConflictAccounts {
			t.Fatalf("accountsWithConflicts: %d, the seed planned %d", total, rep.ConflictAccounts)
		}
		// Small pages list the same accounts, each once.
		if paged, n := e.licAccountsWithConflictsPaged(key, licT0, 2); n != total || !reflect.DeepEqual(paged, listed) {
			t.Fatalf("accountsWithConflicts in pages of 2: %v (%d), in one page: %v (%d)", paged, n, listed, total)
		}
		var after any
		checked := 0
		for page := 0; page < 100; page++ {
			dd := e.ok(key, `query($after: String) { accounts(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } }`,
				map[string]any{"after": after})
			for _, ed := range get(dd, "accounts", "edges").([]any) {
				id := str(ed, "node", "id")
				cs := e.licConflicts(key, id, licT0)
				deficit := 0
				for _, c := range cs {
					deficit += c.Deficit
					if c.Deficit != c.Assigned-c.Licensed-c.InGrace || c.Deficit <= 0 {
						t.Fatalf("account %s: inconsistent conflict %+v", id, c)
					}
				}
				want, ok := listed[id]
				if ok != (len(cs) > 0) || (ok && want != [2]int{len(cs), deficit}) {
					t.Fatalf("account %s: accountsWithConflicts %v (listed %v), licenseConflicts %d SKUs, deficit %d", id, want, ok, len(cs), deficit)
				}
				checked++
			}
			if get(dd, "accounts", "pageInfo", "hasNextPage") != true {
				break
			}
			after = str(dd, "accounts", "pageInfo", "endCursor")
		}
		if checked < 20 {
			t.Fatalf("checked only %d accounts", checked)
		}
	})
}

// licSeed fills the env's store with models.Seed (3,000 assignments, 300 subscriptions, one
// reseller) as of licT0 and returns a READER key of the seeded reseller.
func licSeed(t *testing.T, e *env) (string, *models.SeedReport) {
	t.Helper()
	ctx := context.Background()
	rep, err := models.Seed(ctx, e.Store, models.SeedOptions{Resellers: 1, Assignments: 3000, Subscriptions: 300, Now: licT0, RandSeed: 42, BatchSize: 500})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if len(rep.ResellerIDs) != 1 || rep.Rows["license_assignments"] != 3000 {
		t.Fatalf("seed report: %+v", rep)
	}
	rid := rep.ResellerIDs[0]
	k, err := e.Store.CreateAPIKey(ctx, models.Caller{Role: models.RoleOperator}, &rid, models.RoleReader, "bi", licT0)
	if err != nil {
		t.Fatalf("reader key: %v", err)
	}
	return k.Token, rep
}

// d2raw renders decoded data back to JSON (to tell [] from null).
func licRaw(t testing.TB, d map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
