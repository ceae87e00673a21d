package e2e

// Tenancy and authentication: a key sees and changes only its reseller's data, and another
// reseller's object looks exactly like a missing one; roles decide what a key may do.

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

// twoResellers builds reseller A and reseller B, each with one of everything.
func twoResellers(e *env) (a, b world) {
	e.t.Helper()
	a = e.newWorld("Contoso", "ENTERPRISE", "EA-A", "ENR-A")
	b = e.newWorld("Litware", "ENTERPRISE", "EA-B", "ENR-B")
	return a, b
}

// userIDs returns the ids of an account's users as key sees them.
func userIDs(e *env, key, accountID string) []string {
	e.t.Helper()
	d := e.ok(key, `query($a: ID!) { node(id: $a) { ... on Account { users { edges { node { id } } } } } }`, map[string]any{"a": accountID})
	var out []string
	edges, _ := get(d, "node", "users", "edges").([]any)
	for _, edge := range edges {
		out = append(out, str(edge, "node", "id"))
	}
	return out
}

// collectIDs returns every "id" value anywhere in a decoded response.
func collectIDs(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			if s, ok := y.(string); ok && k == "id" {
				into[s] = true
			}
			collectIDs(y, into)
		}
	case []any:
		for _, y := range x {
			collectIDs(y, into)
		}
	}
}

// everything asks for every list and every nested field that leads to another object.
const everything = `{
  viewer { role reseller { id } }
  resellers { totalCount edges { node { id } } }
  apiKeys { totalCount edges { node { id reseller { id } } } }
  customers { totalCount edges { node { id reseller { id }
    agreements(first: 5) { totalCount edges { node { id customer { id } enrollments(first: 5) { edges { node { id } } } } } }
    accounts(first: 5) { totalCount edges { node { id } } } } } }
  agreements { totalCount edges { node { id customer { id reseller { id } } enrollments(first: 5) { edges { node { id account { id } } } } } } }
  enrollments { totalCount edges { node { id agreement { id customer { id } } account { id } } } }
  accounts { totalCount edges { node { id customer { id }
    users(first: 5) { totalCount edges { node { id } } } enrollments(first: 5) { totalCount edges { node { id } } } } } }
}`

func TestTenancyReads(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a, b := twoResellers(e)
		aIDs := map[string]string{"Reseller": a.ResellerID, "Customer": a.CustomerID, "Agreement": a.AgreementID,
			"Enrollment": a.EnrollmentID, "Account": a.AccountID, "AccountUser": userIDs(e, a.Key, a.AccountID)[0],
			"ApiKey": resellerKeyID(e, a.ResellerID)}
		bReader := e.readerKey(b.ResellerID)

		// Sanity: A itself sees all of it, so nulls below are tenancy, not broken queries.
		for typ, id := range aIDs {
			if d := e.ok(a.Key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); str(d, "node", "id") != id {
				t.Fatalf("A cannot see its own %s: %v", typ, d)
			}
		}

		for _, k := range []struct{ name, key string }{{"B RESELLER", b.Key}, {"B READER", bReader}} {
			d := e.ok(k.key, `{ enrollment(number: "ENR-A") { id } agreement(number: "EA-A") { id } }`, nil)
			if d["enrollment"] != nil || d["agreement"] != nil {
				t.Errorf("%s finds A's numbers: %v", k.name, d)
			}
			for typ, id := range aIDs {
				d := e.ok(k.key, `query($id: ID!) { node(id: $id) { id __typename } }`, map[string]any{"id": id})
				if d["node"] != nil {
					t.Errorf("%s sees A's %s through node(id:): %v", k.name, typ, d["node"])
				}
			}

			// Filters naming A's ids match nothing.
			filtered := e.ok(k.key, `query($r: ID!, $c: ID!, $ag: ID!, $ac: ID!) {
				c: customers(filter: {resellerId: $r}) { totalCount edges { node { id } } }
				ag: agreements(filter: {customerId: $c}) { totalCount edges { node { id } } }
				en1: enrollments(filter: {agreementId: $ag}) { totalCount edges { node { id } } }
				en2: enrollments(filter: {accountId: $ac}) { totalCount edges { node { id } } }
				ac: accounts(filter: {customerId: $c}) { totalCount edges { node { id } } } }`,
				map[string]any{"r": a.ResellerID, "c": a.CustomerID, "ag": a.AgreementID, "ac": a.AccountID})
			for _, l := range []string{"c", "ag", "en1", "en2", "ac"} {
				if n, edges := num(filtered, l, "totalCount"), get(filtered, l, "edges").([]any); n != 0 || len(edges) != 0 {
					t.Errorf("%s: list %s filtered on A's id gives %d (%v)", k.name, l, n, edges)
				}
			}

			// Every list and nested field holds B's objects only: one of each, none of A's.
			all := e.ok(k.key, everything, nil)
			seen := map[string]bool{}
			collectIDs(all, seen)
			for typ, id := range aIDs {
				if seen[id] {
					t.Errorf("%s sees A's %s %s somewhere in %s", k.name, typ, id, jsonString(all))
				}
			}
			for _, id := range []string{b.ResellerID, b.CustomerID, b.AgreementID, b.EnrollmentID, b.AccountID} {
				if !seen[id] {
					t.Errorf("%s does not see its own %s", k.name, id)
				}
			}
			for _, l := range []string{"resellers", "customers", "agreements", "enrollments", "accounts"} {
				if n := num(all, l, "totalCount"); n != 1 {
					t.Errorf("%s: %s totalCount %d, want 1", k.name, l, n)
				}
			}
			for _, edge := range get(all, "apiKeys", "edges").([]any) {
				if str(edge, "node", "reseller", "id") != b.ResellerID {
					t.Errorf("%s sees a key of another reseller: %v", k.name, edge)
				}
			}
		}

		// The operator sees both.
		op := e.ok(e.Operator, everything, nil)
		for _, l := range []string{"resellers", "customers", "agreements", "enrollments", "accounts"} {
			if n := num(op, l, "totalCount"); n != 2 {
				t.Errorf("operator: %s totalCount %d, want 2", l, n)
			}
		}
	})
}

// TestTenancyWrites: B naming A's object in a mutation gets the very userError a made-up id
// gets, and nothing of A's changes.
func TestTenancyWrites(t *testing.T) {
	cases := []struct {
		name, doc string
		input     func(id string) input
		typ       string // the type of the id under test
		aID       func(a world) string
		field     string
	}{
		{"createCustomer_with_A_resellerId", createCustomerDoc,
			func(id string) input { return customerIn().with("resellerId", id) }, "Reseller", func(a world) string { return a.ResellerID }, "resellerId"},
		{"createAgreement_with_A_customerId", createAgreementDoc,
			func(id string) input { return agreementIn(id, "EA-X") }, "Customer", func(a world) string { return a.CustomerID }, "customerId"},
		{"createEnrollment_with_A_agreementId", createEnrollmentDoc,
			func(id string) input { return enrollmentIn(id, "ENR-X") }, "Agreement", func(a world) string { return a.AgreementID }, "agreementId"},
		{"createAccount_with_A_customerId", createAccountDoc,
			func(id string) input { return accountIn(id) }, "Customer", func(a world) string { return a.CustomerID }, "customerId"},
		{"addAccountUsers_to_A_account", addAccountUsersDoc,
			func(id string) input {
				return input{"accountId": id, "users": []any{map[string]any{"userName": "mallory@fabrikam-tenant.com"}}}
			}, "Account", func(a world) string { return a.AccountID }, "accountId"},
	}
	for _, c := range cases {
		ruleCase(t, c.name, func(t *testing.T, e *env) {
			a, b := twoResellers(e)
			aBefore, bBefore := counts(e, a.Key), counts(e, b.Key)
			aUsers := userIDs(e, a.Key, a.AccountID)

			got := refuse(e, b.Key, c.doc, c.input(c.aID(a)))
			wantUserErrors(t, got, "NOT_FOUND "+c.field)
			for _, made := range []string{missingID(c.typ), "made-up"} {
				if want := refuse(e, b.Key, c.doc, c.input(made)); !reflect.DeepEqual(got, want) {
					t.Errorf("A's id is refused with %+v, a made-up id (%s) with %+v", got, made, want)
				}
			}
			wantSameCounts(t, aBefore, counts(e, a.Key))
			wantSameCounts(t, bBefore, counts(e, b.Key))
			if now := userIDs(e, a.Key, a.AccountID); !reflect.DeepEqual(now, aUsers) {
				t.Errorf("A's account users changed from %v to %v", aUsers, now)
			}
		})
	}
}

// TestNumbersAreUniquePerReseller: B may use a number A holds (a global unique index would tell
// B that A holds it), and each reseller finds its own by number.
func TestNumbersAreUniquePerReseller(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		b := e.newWorld("Litware", "MPSA", "EA-1", "ENR-1") // fails the test if refused
		for _, w := range []world{a, b} {
			d := e.ok(w.Key, `{ agreement(number: "EA-1") { id } enrollment(number: "ENR-1") { id } }`, nil)
			if str(d, "agreement", "id") != w.AgreementID || str(d, "enrollment", "id") != w.EnrollmentID {
				t.Errorf("reseller %s finds %v by number, want its own", w.ResellerID, d)
			}
		}
		if n := total(e, e.Operator, "agreements"); n != 2 {
			t.Errorf("operator sees %d agreements, want 2", n)
		}
		// Within one reseller the number is still taken.
		wantUserErrors(t, refuse(e, b.Key, createAgreementDoc, agreementIn(b.CustomerID, "EA-1")), "TAKEN number")
		wantUserErrors(t, refuse(e, b.Key, createEnrollmentDoc, enrollmentIn(b.AgreementID, "ENR-1")), "TAKEN number")
	})
}

func TestAuth(t *testing.T) {
	ruleCase(t, "no_key_is_UNAUTHENTICATED", func(t *testing.T, e *env) {
		for _, c := range []struct{ doc, field string }{{`{ viewer { role } }`, "viewer"}, {`{ customers { totalCount } }`, "customers"},
			{`{ skus { totalCount } }`, "skus"}, {`{ node(id: "x") { id } }`, "node"}, {`{ enrollment(number: "ENR-1") { id } }`, "enrollment"}} {
			r := e.do("", c.doc, nil)
			if r.errCode() != "UNAUTHENTICATED" || get(r.Data, c.field) != nil {
				t.Errorf("%s without a key: %d %s", c.doc, r.Status, r.Raw)
			}
		}
		r := e.do("", createCustomerDoc, vars(customerIn().with("resellerId", missingID("Reseller"))))
		if r.errCode() != "UNAUTHENTICATED" {
			t.Errorf("mutation without a key: %s", r.Raw)
		}
		if n := total(e, e.Operator, "customers"); n != 0 {
			t.Errorf("a mutation without a key wrote %d customers", n)
		}
	})

	ruleCase(t, "wrong_or_malformed_key_is_401", func(t *testing.T, e *env) {
		valid := e.Operator
		tampered := valid[:len(valid)-1] + string("0123456789abcdef"[(indexHex(valid[len(valid)-1])+1)%16])
		for _, h := range []string{
			"Bearer nope", "Bearer lk_1_abc", "Bearer " + tampered, "Bearer lk_x_y", "Bearer lk_99999999999999999999999_a",
			"Bearer lk_", "Bearer ", "Bearer", "Basic Zm9vOmJhcg==", "Token " + valid, valid,
		} {
			rec := serve(e, http.MethodPost, "/graphql", map[string]string{"Authorization": h, "Content-Type": "application/json"}, `{"query":"{ viewer { role } }"}`)
			r := decode(t, rec)
			if rec.Code != http.StatusUnauthorized || r.errCode() != "UNAUTHENTICATED" {
				t.Errorf("Authorization %q: %d %s", h, rec.Code, rec.Body.String())
			}
		}
		// The auth scheme is case-insensitive (RFC 7235): a valid key works with "bearer".
		rec := serve(e, http.MethodPost, "/graphql", map[string]string{"Authorization": "bearer " + valid, "Content-Type": "application/json"}, `{"query":"{ viewer { role } }"}`)
		if r := decode(t, rec); rec.Code != http.StatusOK || str(r.Data, "viewer", "role") != "OPERATOR" {
			t.Errorf(`"bearer <key>": %d %s`, rec.Code, rec.Body.String())
		}
	})

	ruleCase(t, "revoked_key_is_401", func(t *testing.T, e *env) {
		_, rid := e.newReseller("Contoso")
		k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: RESELLER, name: "ci"}) { token apiKey { id revokedAt } userErrors { field code message } } }`,
			map[string]any{"r": rid})
		token, keyID := str(k, "token"), str(k, "apiKey", "id")
		if d := e.ok(token, `{ viewer { role } }`, nil); str(d, "viewer", "role") != "RESELLER" {
			t.Fatalf("new key: %v", d)
		}
		p := e.mutate(e.Operator, `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id revokedAt } userErrors { field code message } } }`, map[string]any{"id": keyID})
		if str(p, "apiKey", "id") != keyID || str(p, "apiKey", "revokedAt") == "" {
			t.Fatalf("revokeApiKey: %v", p)
		}
		r := e.do(token, `{ viewer { role } }`, nil)
		if r.Status != http.StatusUnauthorized || r.errCode() != "UNAUTHENTICATED" {
			t.Fatalf("revoked key: %d %s", r.Status, r.Raw)
		}
	})

	ruleCase(t, "revokeApiKey_unknown_id_is_NOT_FOUND", func(t *testing.T, e *env) {
		// Revoking a key that does not exist is a refusal naming the id, not a server fault.
		for _, id := range []string{missingID("ApiKey"), "made-up"} {
			ue := refuse(e, e.Operator, `mutation($in: RevokeApiKeyInput!) { revokeApiKey(input: $in) { apiKey { id } userErrors { field code message } } }`, input{"id": id})
			wantUserErrors(t, ue, "NOT_FOUND id")
		}
	})

	ruleCase(t, "READER_reads_but_every_mutation_is_FORBIDDEN", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		reader := e.readerKey(w.ResellerID)
		d := e.ok(reader, `{ viewer { role reseller { id } } enrollments { totalCount } enrollment(number: "ENR-1") { id } }`, nil)
		if str(d, "viewer", "role") != "READER" || str(d, "viewer", "reseller", "id") != w.ResellerID || num(d, "enrollments", "totalCount") != 1 || str(d, "enrollment", "id") != w.EnrollmentID {
			t.Fatalf("READER queries: %v", d)
		}
		before, resellers, keys := counts(e, w.Key), total(e, e.Operator, "resellers"), total(e, e.Operator, "apiKeys")
		users := userIDs(e, w.Key, w.AccountID)
		for _, m := range writeMutations(e, w) {
			r := e.do(reader, m.doc, m.vars)
			if r.errCode() != "FORBIDDEN" || r.Data != nil && jsonString(r.Data) != "null" {
				t.Errorf("READER %s: %s", m.name, r.Raw)
			}
		}
		wantSameCounts(t, before, counts(e, w.Key))
		if total(e, e.Operator, "resellers") != resellers || total(e, e.Operator, "apiKeys") != keys || !reflect.DeepEqual(users, userIDs(e, w.Key, w.AccountID)) {
			t.Errorf("a READER mutation wrote something")
		}
		if d := e.ok(e.Operator, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": w.ResellerID}); d["node"] == nil {
			t.Errorf("reseller gone")
		}
	})

	ruleCase(t, "RESELLER_cannot_manage_resellers_or_keys", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		resellers, keys := total(e, e.Operator, "resellers"), total(e, e.Operator, "apiKeys")
		for _, m := range writeMutations(e, w)[:3] {
			r := e.do(w.Key, m.doc, m.vars)
			if r.errCode() != "FORBIDDEN" || r.Data != nil && jsonString(r.Data) != "null" {
				t.Errorf("RESELLER %s: %s", m.name, r.Raw)
			}
		}
		if total(e, e.Operator, "resellers") != resellers || total(e, e.Operator, "apiKeys") != keys {
			t.Errorf("a refused createReseller/createApiKey/revokeApiKey wrote something")
		}
		if d := e.ok(w.Key, `{ viewer { role } }`, nil); str(d, "viewer", "role") != "RESELLER" {
			t.Errorf("the reseller's key was revoked by its own refused call: %v", d)
		}
	})

	ruleCase(t, "operator_sees_every_reseller_a_reseller_only_itself", func(t *testing.T, e *env) {
		a, b := twoResellers(e)
		op := e.ok(e.Operator, `{ viewer { role reseller { id } } resellers { totalCount edges { node { id } } } }`, nil)
		if str(op, "viewer", "role") != "OPERATOR" || get(op, "viewer", "reseller") != nil {
			t.Errorf("operator viewer: %v", op["viewer"])
		}
		if got := edgeIDs(op, "resellers"); num(op, "resellers", "totalCount") != 2 || !reflect.DeepEqual(got, []string{a.ResellerID, b.ResellerID}) {
			t.Errorf("operator resellers: %v", op["resellers"])
		}
		for _, w := range []world{a, b} {
			d := e.ok(w.Key, `{ resellers { totalCount edges { node { id } } } }`, nil)
			if got := edgeIDs(d, "resellers"); num(d, "resellers", "totalCount") != 1 || !reflect.DeepEqual(got, []string{w.ResellerID}) {
				t.Errorf("reseller %s sees resellers %v", w.ResellerID, d)
			}
		}
	})

	ruleCase(t, "createApiKey_validation", func(t *testing.T, e *env) {
		_, rid := e.newReseller("Contoso")
		const doc = `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } token userErrors { field code message } } }`
		keys := total(e, e.Operator, "apiKeys")
		for _, c := range []struct {
			in   input
			want string
		}{
			{input{"role": "OPERATOR", "resellerId": rid, "name": "k"}, "INVALID resellerId"},
			{input{"role": "READER", "name": "k"}, "REQUIRED resellerId"},
			{input{"role": "RESELLER", "name": "k"}, "REQUIRED resellerId"},
			{input{"role": "READER", "resellerId": missingID("Reseller"), "name": "k"}, "NOT_FOUND resellerId"},
			{input{"role": "READER", "resellerId": "made-up", "name": "k"}, "NOT_FOUND resellerId"},
			{input{"role": "READER", "resellerId": rid, "name": " "}, "REQUIRED name"},
		} {
			wantUserErrors(t, refuse(e, e.Operator, doc, c.in), c.want)
		}
		if n := total(e, e.Operator, "apiKeys"); n != keys {
			t.Errorf("refused createApiKey wrote keys: %d, was %d", n, keys)
		}
		// And the valid ones.
		e.mutate(e.Operator, doc, vars(input{"role": "OPERATOR", "name": "second operator"}))
		e.mutate(e.Operator, doc, vars(input{"role": "READER", "resellerId": rid, "name": "bi"}))
	})

	ruleCase(t, "operator_names_the_reseller_of_a_customer", func(t *testing.T, e *env) {
		_, rid := e.newReseller("Contoso")
		wantUserErrors(t, refuse(e, e.Operator, createCustomerDoc, customerIn()), "REQUIRED resellerId")
		wantUserErrors(t, refuse(e, e.Operator, createCustomerDoc, customerIn().with("resellerId", missingID("Reseller"))), "NOT_FOUND resellerId")
		p := e.mutate(e.Operator, `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) { customer { id reseller { id } } userErrors { field code message } } }`,
			vars(customerIn().with("resellerId", rid)))
		if str(p, "customer", "reseller", "id") != rid {
			t.Errorf("operator-created customer: %v", p)
		}
	})
}

func indexHex(c byte) int {
	for i := 0; i < 16; i++ {
		if "0123456789abcdef"[i] == c {
			return i
		}
	}
	return 0
}

// resellerKeyID returns the id of a reseller's RESELLER key, as the operator lists it.
func resellerKeyID(e *env, resellerID string) string {
	e.t.Helper()
	for _, edge := range get(e.ok(e.Operator, `{ apiKeys(first: 100) { edges { node { id role reseller { id } } } } }`, nil), "apiKeys", "edges").([]any) {
		if str(edge, "node", "role") == "RESELLER" && str(edge, "node", "reseller", "id") == resellerID {
			return str(edge, "node", "id")
		}
	}
	e.t.Fatalf("reseller %s has no RESELLER key", resellerID)
	return ""
}

type namedMutation struct {
	name string
	doc  string
	vars map[string]any
}

// writeMutations is one valid call of every mutation, for w's reseller; the first three are
// operators-only.
func writeMutations(e *env, w world) []namedMutation {
	e.t.Helper()
	keyID := resellerKeyID(e, w.ResellerID)
	return []namedMutation{
		{"createReseller", `mutation { createReseller(input: {name: "Evil"}) { reseller { id } userErrors { code } } }`, nil},
		{"createApiKey", `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: RESELLER, name: "more"}) { token userErrors { code } } }`, map[string]any{"r": w.ResellerID}},
		{"revokeApiKey", `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { id } userErrors { code } } }`, map[string]any{"id": keyID}},
		{"createCustomer", createCustomerDoc, vars(customerIn())},
		{"createAgreement", createAgreementDoc, vars(agreementIn(w.CustomerID, "EA-R"))},
		{"createEnrollment", createEnrollmentDoc, vars(enrollmentIn(w.AgreementID, "ENR-R"))},
		{"createAccount", createAccountDoc, vars(accountIn(w.CustomerID))},
		{"addAccountUsers", addAccountUsersDoc, vars(input{"accountId": w.AccountID, "users": []any{map[string]any{"userName": "eve@fabrikam-tenant.com"}}})},
	}
}

// Orders, reservations and subscriptions of another reseller look missing.
func TestTenancyOfOrdersAndSubscriptions(t *testing.T) {
	ruleCase(t, "ledger_objects_of_another_reseller_look_missing", func(t *testing.T, e *env) {
		a := e.newWorld("Contoso", "OPEN_VALUE", "V3000001", "ENR-A")
		b := e.newWorld("Litware", "OPEN_VALUE", "V3000002", "ENR-B")
		placed := e.place(a.Key, "ENR-A", "shared-key", t0Day, t0Day, "O365-E3", 4)
		e.buy(a.Key, "ENR-A", "bought", t0Day, t0Day, "O365-E5", 9)
		res := e.reserve(a.Key, reservationIn("ENR-A", "O365-E5", 2, "vic@fabrikam.com", "res"))
		direct := e.direct(a.Key, a.AccountID, "INTUNE", 3, "2027-11-22", true)
		subs, _ := e.subsBySKU(a.Key, "ENR-A", time.Time{})
		sub := str(subs["O365-E5"], "id")

		// B sees none of it.
		if n := e.ordersTotal(b.Key); n != 0 {
			t.Fatalf("B sees %d orders", n)
		}
		if n := e.totalCount(b.Key, reservationsDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 0 {
			t.Fatalf("B sees %d reservations", n)
		}
		if d := e.ok(b.Key, orderDoc, map[string]any{"n": str(placed, "number")}); get(d, "order") != nil {
			t.Fatalf("B reads A's order by number: %v", d)
		}
		for _, id := range []string{str(placed, "id"), str(res, "id"), sub, str(direct, "id")} {
			if d := e.ok(b.Key, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); get(d, "node") != nil {
				t.Fatalf("B resolves A's node %s: %v", id, d)
			}
		}
		if _, n := e.accountSubsBySKU(b.Key, a.AccountID, time.Time{}); n != 0 {
			t.Fatalf("B lists A's account subscriptions")
		}

		// B's writes on A's ids are refused exactly like made-up ids.
		same := func(what string, real, madeUp []userError, field string) {
			t.Helper()
			onlyUserError(t, real, "NOT_FOUND", field)
			if !reflect.DeepEqual(real, madeUp) {
				t.Fatalf("%s: A's id answers %+v, a made-up id %+v", what, real, madeUp)
			}
		}
		fakeOrder, fakeSub := globalID("Order", 4242), globalID("Subscription", 4242)
		same("cancelOrder", e.refusedPayload(t, b.Key, cancelOrderDoc, map[string]any{"id": str(placed, "id")}, "order"),
			e.refusedPayload(t, b.Key, cancelOrderDoc, map[string]any{"id": fakeOrder}, "order"), "orderId")
		for _, doc := range []string{renewSubscriptionDoc, cancelSubscriptionDoc} {
			same("subscription action", e.refusedPayload(t, b.Key, doc, map[string]any{"id": sub}, "subscription"),
				e.refusedPayload(t, b.Key, doc, map[string]any{"id": fakeSub}, "subscription"), "subscriptionId")
		}
		same("setSubscriptionQuantity", e.refusedPayload(t, b.Key, setQuantityDoc, map[string]any{"id": sub, "q": 1}, "subscription"),
			e.refusedPayload(t, b.Key, setQuantityDoc, map[string]any{"id": fakeSub, "q": 1}, "subscription"), "subscriptionId")
		same("setAutoRenew", e.refusedPayload(t, b.Key, setAutoRenewDoc, map[string]any{"id": sub, "on": false}, "subscription"),
			e.refusedPayload(t, b.Key, setAutoRenewDoc, map[string]any{"id": fakeSub, "on": false}, "subscription"), "subscriptionId")
		same("cancel direct", e.refusedPayload(t, b.Key, cancelSubscriptionDoc, map[string]any{"id": str(direct, "id")}, "subscription"),
			e.refusedPayload(t, b.Key, cancelSubscriptionDoc, map[string]any{"id": fakeSub}, "subscription"), "subscriptionId")
		onlyUserError(t, e.refusedPayload(t, b.Key, createOrderDoc, vars(orderIn("ENR-A", "b1", orderLines("O365-E3", 1))), "order"), "NOT_FOUND", "enrollmentNumber")
		onlyUserError(t, e.refusedPayload(t, b.Key, createReservationDoc, vars(reservationIn("ENR-A", "O365-E3", 1, "vic@fabrikam.com", "b2")), "reservation"), "NOT_FOUND", "enrollmentNumber")
		onlyUserError(t, e.refusedPayload(t, b.Key, grantPermissionDoc, map[string]any{"n": "ENR-A", "a": "ana@fabrikam.com"}, "enrollment"), "NOT_FOUND", "enrollmentNumber")
		onlyUserError(t, e.refusedPayload(t, b.Key, directSubscriptionDoc, vars(map[string]any{"accountId": a.AccountID, "sku": "INTUNE", "quantity": 1, "endDate": "2027-11-22"}), "subscription"), "NOT_FOUND", "accountId")
		move := orderIn("ENR-B", "b3", orderLines("INTUNE", 3))
		move["movesFromSubscriptionId"] = str(direct, "id")
		onlyUserError(t, e.refusedPayload(t, b.Key, createOrderDoc, vars(move), "order"), "NOT_FOUND", "movesFromSubscriptionId")

		// Idempotency keys are per reseller: B's "shared-key" is B's own new order.
		bo := e.place(b.Key, "ENR-B", "shared-key", t0Day, t0Day, "O365-E1", 1)
		if str(bo, "id") == str(placed, "id") || str(bo, "enrollment", "number") != "ENR-B" {
			t.Fatalf("B's order under A's key: %v", bo)
		}

		// Nothing of A's changed; the operator may still act on A's ids.
		if st := str(e.ok(a.Key, orderDoc, map[string]any{"n": str(placed, "number")}), "order", "status"); st != "PLACED" {
			t.Fatalf("A's order is %s after B's attempts", st)
		}
		subs, _ = e.subsBySKU(a.Key, "ENR-A", t0.Add(13*time.Hour))
		wantSub(t, subs["O365-E5"], "ACTIVE", 11, 0, 11)
		if subs["O365-E5"]["cancelledAt"] != nil || subs["O365-E5"]["autoRenew"] != false {
			t.Fatalf("A's subscription changed: %v", subs["O365-E5"])
		}
		acc, _ := e.accountSubsBySKU(a.Key, a.AccountID, t0.Add(time.Hour))
		if acc["INTUNE"]["cancelledAt"] != nil || str(acc["INTUNE"], "status") != "ACTIVE" {
			t.Fatalf("A's direct subscription changed: %v", acc["INTUNE"])
		}
		if p := e.process(str(placed, "id")); str(p, "status") != "PROCESSED" {
			t.Fatalf("operator processOrder on A's order: %v", p)
		}
		e.mutate(e.Operator, processReservationDoc, map[string]any{"id": str(res, "id")})
	})
}
