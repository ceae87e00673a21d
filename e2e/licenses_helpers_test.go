package e2e

import (
	"context"
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

// Helpers of the license tests (assignments, conflicts, the summary): steps, typed views of the
// answers and exact checks.

// assign assigns sku to users; it must succeed. It returns the payload.
func (e *env) assign(key, accountID, sku string, users ...string) map[string]any {
	e.t.Helper()
	return e.mutate(key, assignDoc, map[string]any{"a": accountID, "s": sku, "u": users})
}

// assignRefused assigns sku to users; it must be refused with a null license. It returns the userErrors.
func (e *env) assignRefused(key, accountID, sku string, users ...string) []userError {
	e.t.Helper()
	vars := map[string]any{"a": accountID, "s": sku, "u": users}
	d := e.ok(key, assignDoc, vars)
	if get(d, "assignLicenses", "license") != nil || get(d, "assignLicenses", "account") != nil {
		e.t.Errorf("a refused assignLicenses must carry no account or license (schema: null when refused), got %v", d)
	}
	return e.refused(key, assignDoc, vars)
}

// licenseRow is one AccountLicense (or the quantities of a summary row, ReservedNotBilled aside).
type licenseRow struct {
	Licensed, InGrace, Assigned, Available, Pending int
}

func licenseRowOf(v any) licenseRow {
	return licenseRow{Licensed: num(v, "licensed"), InGrace: num(v, "inGrace"), Assigned: num(v, "assigned"), Available: num(v, "available"),
		Pending: num(v, "pending")}
}

// licenses returns Account.licenses(asOf) by SKU code (asOf zero: the server's now).
func (e *env) licenses(key, accountID string, at time.Time) map[string]licenseRow {
	e.t.Helper()
	d := e.ok(key, licensesDoc, map[string]any{"id": accountID, "at": asOfVar(at)})
	out := map[string]licenseRow{}
	l, ok := get(d, "node", "licenses").([]any)
	if !ok {
		e.t.Fatalf("Account.licenses of %s: %v", accountID, d)
	}
	for _, x := range l {
		code := str(x, "sku", "code")
		if _, dup := out[code]; dup {
			e.t.Fatalf("Account.licenses lists %s twice: %v", code, l)
		}
		out[code] = licenseRowOf(x)
	}
	return out
}

// wantLicense asserts one SKU's licenses on an account.
func wantLicense(t testing.TB, got map[string]licenseRow, sku string, want licenseRow) {
	t.Helper()
	g, ok := got[sku]
	if !ok {
		t.Fatalf("Account.licenses has no %s: %+v", sku, got)
	}
	if g != want {
		t.Fatalf("Account.licenses %s = %+v, want %+v", sku, g, want)
	}
}

// wantPayloadLicense asserts the license of an assign/remove payload.
func wantPayloadLicense(t testing.TB, p map[string]any, sku string, want licenseRow) {
	t.Helper()
	l := get(p, "license")
	if str(l, "sku", "code") != sku || licenseRowOf(l) != want {
		t.Fatalf("payload license = %v, want %s %+v", l, sku, want)
	}
}

type resolutionRow struct {
	Kind            string   `json:"kind"`
	NewTotal        *int     `json:"newTotal"`
	UserCount       *int     `json:"userCount"`
	SubscriptionIDs []string `json:"subscriptionIds"`
	SKUs            []struct {
		Code string `json:"code"`
	} `json:"skus"`
	AvailableAt *string `json:"availableAt"`
	Message     string  `json:"message"`
}

type conflictRow struct {
	SKU struct {
		Code string `json:"code"`
	} `json:"sku"`
	Licensed      int             `json:"licensed"`
	Pending       int             `json:"pending"`
	InGrace       int             `json:"inGrace"`
	Assigned      int             `json:"assigned"`
	Deficit       int             `json:"deficit"`
	AffectedUsers []string        `json:"affectedUsers"`
	Resolutions   []resolutionRow `json:"resolutions"`
}

// conflicts returns licenseConflicts(accountId, asOf); the list must not be null.
func (e *env) conflicts(key, accountID string, at time.Time) []conflictRow {
	e.t.Helper()
	d := e.ok(key, conflictsDoc, map[string]any{"a": accountID, "at": asOfVar(at)})
	raw, ok := d["licenseConflicts"].([]any)
	if !ok {
		e.t.Fatalf("licenseConflicts(%s, %v) must be a list (empty when there is no conflict, R-LIC-4), got %#v", accountID, at, d["licenseConflicts"])
	}
	var out []conflictRow
	decodeJSON(e.t, raw, &out)
	return out
}

// oneConflict asserts exactly one conflict, on sku, with these quantities and affected users.
func oneConflict(t testing.TB, cs []conflictRow, sku string, licensed, inGrace, assigned, deficit int, affected []string) conflictRow {
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

// resolutionOf returns the resolution of kind, or nil.
func resolutionOf(c conflictRow, kind string) *resolutionRow {
	return firstWhere(c.Resolutions, func(r *resolutionRow) bool { return r.Kind == kind })
}

func intOrNil(p *int) string {
	if p == nil {
		return "null"
	}
	return strconv.Itoa(*p)
}

// wantBuyRemove asserts the BUY_MORE (newTotal) and REMOVE_LICENSES (userCount) resolutions.
func wantBuyRemove(t testing.TB, c conflictRow, newTotal, userCount int) {
	t.Helper()
	buy, rm := resolutionOf(c, "BUY_MORE"), resolutionOf(c, "REMOVE_LICENSES")
	if buy == nil || buy.NewTotal == nil || *buy.NewTotal != newTotal || buy.UserCount != nil || len(buy.SubscriptionIDs) != 0 || buy.Message == "" {
		t.Fatalf("BUY_MORE: want newTotal %d (a total, R-SUB-7), got %+v (newTotal %s) in %+v", newTotal, buy, intOrNil(buy.newTotalOrNil()), c.Resolutions)
	}
	if rm == nil || rm.UserCount == nil || *rm.UserCount != userCount || rm.NewTotal != nil || len(rm.SubscriptionIDs) != 0 || rm.Message == "" {
		t.Fatalf("REMOVE_LICENSES: want userCount %d, got %+v in %+v", userCount, rm, c.Resolutions)
	}
}

// wantSwitched asserts the resolutions of a SKU a renewal replaced with newSKU (R-SUB-4, R-LIC-7):
// no BUY_MORE of the old SKU, REMOVE_LICENSES from the deficit's users, and ASSIGN_NEW_SKU of
// newSKU to the listed users.
func wantSwitched(t testing.TB, c conflictRow, removeCount, assignCount int, newSKU string) {
	t.Helper()
	if resolutionOf(c, "BUY_MORE") != nil {
		t.Fatalf("BUY_MORE of %s offered though a renewal replaced it: %+v", c.SKU.Code, c.Resolutions)
	}
	if rm := resolutionOf(c, "REMOVE_LICENSES"); rm == nil || rm.UserCount == nil || *rm.UserCount != removeCount {
		t.Fatalf("REMOVE_LICENSES: want userCount %d in %+v", removeCount, c.Resolutions)
	}
	as := resolutionOf(c, "ASSIGN_NEW_SKU")
	if as == nil || as.UserCount == nil || *as.UserCount != assignCount || as.NewTotal != nil || len(as.SKUs) != 1 || as.SKUs[0].Code != newSKU ||
		!strings.Contains(as.Message, newSKU) {
		t.Fatalf("ASSIGN_NEW_SKU: want %s for %d users, got %+v", newSKU, assignCount, c.Resolutions)
	}
}

func (r *resolutionRow) newTotalOrNil() *int {
	if r == nil {
		return nil
	}
	return r.NewTotal
}

// accountsWithConflicts returns accountsWithConflicts(asOf) as account id -> [skusInConflict, deficit], and its totalCount.
func (e *env) accountsWithConflicts(key string, at time.Time) (map[string][2]int, int) {
	e.t.Helper()
	return e.accountsWithConflictsPaged(key, at, 100)
}

// accountsWithConflictsPaged is accountsWithConflicts in pages of first.
func (e *env) accountsWithConflictsPaged(key string, at time.Time, first int) (map[string][2]int, int) {
	e.t.Helper()
	out := map[string][2]int{}
	total := -1
	var after any
	for page := 0; page < 100; page++ {
		d := e.ok(key, accountsWithConflictsDoc, map[string]any{"at": asOfVar(at), "first": first, "after": after})
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

// userErrorsOf reads the userErrors of a response's only payload.
func userErrorsOf(t testing.TB, r *response) []userError {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected GraphQL errors: %s", r.Raw)
	}
	for _, v := range r.Data {
		var ue []userError
		decodeJSON(t, get(v, "userErrors"), &ue)
		return ue
	}
	t.Fatalf("no payload: %s", r.Raw)
	return nil
}

// wantMissing matches the count of licenses missing in a NOT_ENOUGH_LICENSES message.
func wantMissing(t testing.TB, ue []userError, n int) {
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

// hasCode asserts a userError with code exists, whatever its field.
func hasCode(t testing.TB, ue []userError, code string) userError {
	t.Helper()
	for _, u := range ue {
		if u.Code == code {
			return u
		}
	}
	t.Fatalf("want userError %s, got %+v", code, ue)
	return userError{}
}

// summaryRow is a summary row's quantities.
type summaryRow struct {
	Licensed, InGrace, Reserved, Assigned, Available, Pending int
}

func (r summaryRow) add(o summaryRow) summaryRow {
	return summaryRow{r.Licensed + o.Licensed, r.InGrace + o.InGrace, r.Reserved + o.Reserved, r.Assigned + o.Assigned, r.Available + o.Available,
		r.Pending + o.Pending}
}

func summaryRowOf(n any) summaryRow {
	return summaryRow{Licensed: num(n, "licensed"), InGrace: num(n, "inGrace"), Reserved: num(n, "reservedNotBilled"),
		Assigned: num(n, "assigned"), Available: num(n, "available"), Pending: num(n, "pending")}
}

// groupKeyPaths is where a summary row holds each dimension's value.
var groupKeyPaths = map[string][]any{"RESELLER": {"reseller", "id"}, "CUSTOMER": {"customer", "id"}, "AGREEMENT": {"agreement", "id"},
	"PROGRAM": {"program"}, "ENROLLMENT": {"enrollment", "number"}, "ACCOUNT": {"account", "id"}, "SKU": {"sku", "code"}, "FAMILY": {"family"}}

// groupKey is a summary row's key: the values of groupBy joined by "|" ("" for null).
func groupKey(n any, groupBy []string) string {
	parts := make([]string, len(groupBy))
	for i, d := range groupBy {
		parts[i] = str(n, groupKeyPaths[d]...)
	}
	return strings.Join(parts, "|")
}

// summaryPage runs one licenseSummary page and returns the raw connection.
func (e *env) summaryPage(key string, groupBy []string, filter map[string]any, at time.Time, first int, after string) any {
	e.t.Helper()
	if groupBy == nil {
		groupBy = []string{}
	}
	vars := map[string]any{"g": groupBy, "at": asOfVar(at)}
	if filter != nil {
		vars["f"] = filter
	}
	if first > 0 {
		vars["first"] = first
	}
	if after != "" {
		vars["after"] = after
	}
	return get(e.ok(key, summaryDoc, vars), "licenseSummary")
}

// summary returns every group of licenseSummary (all pages) by key, checking that the
// dimensions not grouped are null and that no group repeats.
func (e *env) summary(key string, groupBy []string, filter map[string]any, at time.Time) map[string]summaryRow {
	e.t.Helper()
	out := map[string]summaryRow{}
	after := ""
	total := -1
	for page := 0; page < 1000; page++ {
		conn := e.summaryPage(key, groupBy, filter, at, 100, after)
		if total >= 0 && num(conn, "totalCount") != total {
			e.t.Fatalf("licenseSummary: totalCount changed between pages")
		}
		total = num(conn, "totalCount")
		edges, _ := get(conn, "edges").([]any)
		for _, ed := range edges {
			n := get(ed, "node")
			wantNullOutside(e.t, n, groupBy)
			k := groupKey(n, groupBy)
			if _, dup := out[k]; dup {
				e.t.Fatalf("licenseSummary %v: group %q twice", groupBy, k)
			}
			out[k] = summaryRowOf(n)
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

// wantNullOutside asserts a summary row shows only the grouped dimensions.
func wantNullOutside(t testing.TB, n any, groupBy []string) {
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

// wantSummary asserts a summary's groups exactly.
func wantSummary(t testing.TB, what string, got, want map[string]summaryRow) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %v\n want %v", what, formatRows(got), formatRows(want))
	}
}

func formatRows(m map[string]summaryRow) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		r := m[k]
		fmt.Fprintf(&b, "\n   %-40s licensed %d pending %d inGrace %d reservedNotBilled %d assigned %d available %d", k, r.Licensed, r.Pending, r.InGrace,
			r.Reserved, r.Assigned, r.Available)
	}
	return b.String()
}

// wantSummaryMatchesLicenses asserts that the summary of one account, grouped by SKU (one row
// per pool) and by CUSTOMER and SKU (users allocated to subscriptions), equals its
// Account.licenses as of at.
func (e *env) wantSummaryMatchesLicenses(t testing.TB, key, accountID string, at time.Time) {
	t.Helper()
	lic := e.licenses(key, accountID, at)
	for _, g := range [][]string{{"SKU"}, {"CUSTOMER", "SKU"}} {
		bySKU := map[string]licenseRow{}
		for k, r := range e.summary(key, g, map[string]any{"accountIds": []string{accountID}}, at) {
			sku := k[strings.LastIndex(k, "|")+1:]
			prev := bySKU[sku]
			bySKU[sku] = licenseRow{prev.Licensed + r.Licensed, prev.InGrace + r.InGrace, prev.Assigned + r.Assigned, prev.Available + r.Available,
				prev.Pending + r.Pending}
		}
		if !reflect.DeepEqual(bySKU, lic) {
			t.Fatalf("asOf %v, summary by %v of account %s: %+v, Account.licenses %+v", at, g, accountID, bySKU, lic)
		}
	}
}

// biFixture is the R-BI-1 data set of one reseller:
//
//	Fabrikam (US): ENTERPRISE agreement A-1, enrollment E-1 on account ACC1 (6 users) with
//	  O365-E3 10 (+2 reserved, billed 2027-01-01) and INTUNE 5, and a direct (MOSP) O365-E1 4;
//	  assigned O365-E3 3, INTUNE 2, O365-E1 1.
//	Contoso (GB): MPSA agreement M-1, enrollment E-2 on account ACC2 (3 users) with INTUNE 7 and
//	  M365-E3 2; assigned INTUNE 1, M365-E3 2.
type biFixture struct {
	Key, ResellerID string
	C1, C2          world
	ReservationID   string
	BillingDate     string
}

func (e *env) newBIFixture(name, prefix string) biFixture {
	e.t.Helper()
	var d biFixture
	d.Key, d.ResellerID = e.newReseller(name)
	fab, con := prefix+"fabrikam.com", prefix+"contoso.com"
	fu := func(n string) string { return n + "@" + fab }
	cu := func(n string) string { return n + "@" + con }
	d.C1 = e.provisionedCustomer(d.Key, "Fabrikam", "US", "ENTERPRISE", prefix+"A-1", prefix+"E-1", fab,
		fu("alice"), fu("bob"), fu("carol"), fu("dave"), fu("erin"), fu("frank"))
	e.buyOnto(d.Key, prefix+"E-1", prefix+"o1", d.C1.AccountID, "O365-E3", 10, "INTUNE", 5)
	e.directID(d.Key, d.C1.AccountID, "O365-E1", 4, "2027-11-22", true)
	r := e.mutate(d.Key, createReservationDoc, map[string]any{"in": map[string]any{"enrollmentNumber": prefix + "E-1", "sku": "O365-E3", "quantity": 2,
		"contactEmail": "vic@" + fab, "idempotencyKey": prefix + "r1"}})
	d.ReservationID, d.BillingDate = str(r, "reservation", "id"), str(r, "reservation", "billingDate")
	e.assign(d.Key, d.C1.AccountID, "O365-E3", fu("alice"), fu("bob"), fu("carol"))
	e.assign(d.Key, d.C1.AccountID, "INTUNE", fu("alice"), fu("bob"))
	e.assign(d.Key, d.C1.AccountID, "O365-E1", fu("dave"))

	d.C2 = e.provisionedCustomer(d.Key, "Contoso", "GB", "MPSA", prefix+"M-1", prefix+"E-2", con, cu("xavier"), cu("yara"), cu("zoe"))
	e.buyOnto(d.Key, prefix+"E-2", prefix+"o2", d.C2.AccountID, "INTUNE", 7, "M365-E3", 2)
	e.assign(d.Key, d.C2.AccountID, "INTUNE", cu("xavier"))
	e.assign(d.Key, d.C2.AccountID, "M365-E3", cu("xavier"), cu("yara"))
	return d
}

// biTotal is the whole biFixture data set as of t0.
var biTotal = summaryRow{Licensed: 30, InGrace: 0, Reserved: 2, Assigned: 9, Available: 21}

// seedLarge fills the env's store with models.Seed (3,000 assignments, 300 subscriptions, one
// reseller) as of t0 and returns a READER key of the seeded reseller.
func seedLarge(t *testing.T, e *env) (string, *models.SeedReport) {
	t.Helper()
	ctx := context.Background()
	rep, err := models.Seed(ctx, e.Store, models.SeedOptions{Resellers: 1, Assignments: 3000, Subscriptions: 300, Now: t0, RandSeed: 42, BatchSize: 500})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	if len(rep.ResellerIDs) != 1 || rep.Rows["license_assignments"] != 3000 {
		t.Fatalf("seed report: %+v", rep)
	}
	rid := rep.ResellerIDs[0]
	k, err := e.Store.CreateAPIKey(ctx, models.Caller{Role: models.RoleOperator}, &rid, models.RoleReader, "bi", t0)
	if err != nil {
		t.Fatalf("reader key: %v", err)
	}
	return k.Token, rep
}
