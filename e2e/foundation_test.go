package e2e

// The foundation: records are validated field by field and a refused mutation writes nothing
// (R-AGR-1..3), node(id:), pagination, scalars and the SKU catalog.

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// Mutation documents, driven with the whole input as one variable as a client would.

func customerIn() input { return input{"organizationName": "Northwind", "country": "DE"} }

func agreementIn(customerID, number string) input {
	return input{"customerId": customerID, "program": "ENTERPRISE", "number": number, "startDate": "2026-02-01", "anniversaryDate": "2027-02-01",
		"contacts": []any{map[string]any{"name": "Nia", "email": "nia@northwind.com", "roles": []any{"AGREEMENT_ADMINISTRATOR"}}}}
}

func enrollmentIn(agreementID, number string) input {
	return input{"agreementId": agreementID, "number": number, "organizationName": "Northwind", "osmName": "Oscar", "osmEmail": "oscar@northwind.com",
		"startDate": "2026-02-01", "endDate": "2029-01-31"}
}

func accountIn(customerID string) input {
	return input{"customerId": customerID, "name": "Northwind tenant", "country": "DE", "verifiedDomains": []any{"northwind.com"},
		"administrators": []any{map[string]any{"name": "Gus", "email": "gus@northwind.com", "role": "GLOBAL_ADMIN"}},
		"users":          []any{map[string]any{"userName": "nia@northwind.com"}}}
}

func contact(name, email string, roles ...string) map[string]any {
	rs := make([]any, len(roles))
	for i, r := range roles {
		rs[i] = r
	}
	return map[string]any{"name": name, "email": email, "roles": rs}
}

// refuse runs a mutation that must be refused: no GraphQL error, userErrors, and a null object.
func refuse(e *env, key, doc string, in input) []userError {
	e.t.Helper()
	data := e.ok(key, doc, vars(in))
	for _, v := range data {
		payload, _ := v.(map[string]any)
		for field, x := range payload {
			if field != "userErrors" && x != nil {
				e.t.Fatalf("want a refusal, but the mutation returned %s = %v", field, x)
			}
		}
		var ue []userError
		_ = json.Unmarshal([]byte(jsonString(payload["userErrors"])), &ue)
		if len(ue) == 0 {
			e.t.Fatalf("expected userErrors, got %v", payload)
		}
		return ue
	}
	e.t.Fatalf("no payload in %v", data)
	return nil
}

// wantUserErrors asserts the userErrors are exactly these "CODE dotted.field" entries, in any order.
func wantUserErrors(t testing.TB, ue []userError, want ...string) {
	t.Helper()
	got := make([]string, len(ue))
	for i, u := range ue {
		got[i] = u.Code + " " + strings.Join(u.Field, ".")
		if u.Message == "" {
			t.Errorf("userError %s has no message", got[i])
		}
	}
	sort.Strings(got)
	want = append([]string{}, want...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("userErrors: got %v, want %v (%+v)", got, want, ue)
	}
}

// total returns totalCount of a root list as key sees it, e.g. total(e, key, "agreements").
func total(e *env, key, list string) int {
	e.t.Helper()
	return num(e.ok(key, `{ `+list+` { totalCount } }`, nil), list, "totalCount")
}

// counts is the totalCount of every tenant list as key sees it.
func counts(e *env, key string) map[string]int {
	e.t.Helper()
	d := e.ok(key, `{ customers { totalCount } agreements { totalCount } enrollments { totalCount } accounts { totalCount } }`, nil)
	out := map[string]int{}
	for _, l := range []string{"customers", "agreements", "enrollments", "accounts"} {
		out[l] = num(d, l, "totalCount")
	}
	return out
}

func wantSameCounts(t testing.TB, before, after map[string]int) {
	t.Helper()
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused mutation wrote rows: counts before %v, after %v", before, after)
	}
}

// missingID is a well-formed global ID of typ that names no object. IDs are opaque to clients;
// the test knows their shape only to forge one that looks real.
func missingID(typ string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":1"))
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestBadInputWritesNothing: every malformed input is refused with userErrors naming the exact
// input field, the payload's object is null, and no row of any kind is written.
func TestBadInputWritesNothing(t *testing.T) {
	cases := []struct {
		name  string
		doc   string
		input func(w world) input
		want  []string // "CODE dotted.field"
	}{
		{"createAgreement_unknown_program", createAgreementDoc,
			func(w world) input { return agreementIn(w.CustomerID, "EA-9").with("program", "ENTERPRIZE") },
			[]string{"UNKNOWN_VALUE program"}},
		{"createAgreement_empty_number", createAgreementDoc,
			func(w world) input { return agreementIn(w.CustomerID, " ") },
			[]string{"REQUIRED number"}},
		{"createAgreement_malformed_contact_email", createAgreementDoc,
			func(w world) input {
				return agreementIn(w.CustomerID, "EA-9").with("contacts", []any{contact("Nia", "nia@@northwind", "AGREEMENT_ADMINISTRATOR")})
			},
			[]string{"INVALID contacts.0.email"}},
		{"createAgreement_second_contact_malformed_email", createAgreementDoc,
			func(w world) input {
				return agreementIn(w.CustomerID, "EA-9").with("contacts", []any{contact("Nia", "nia@northwind.com", "AGREEMENT_ADMINISTRATOR"),
					contact("Ola", "ola at northwind.com", "VLSC_ADMINISTRATOR")})
			},
			[]string{"INVALID contacts.1.email"}},
		{"createAgreement_contact_without_role", createAgreementDoc,
			func(w world) input {
				return agreementIn(w.CustomerID, "EA-9").with("contacts", []any{contact("Nia", "nia@northwind.com")})
			},
			[]string{"REQUIRED contacts.0.roles"}},
		{"createAgreement_anniversary_before_start", createAgreementDoc,
			func(w world) input { return agreementIn(w.CustomerID, "EA-9").with("anniversaryDate", "2026-01-31") },
			[]string{"INVALID anniversaryDate"}},
		{"createAgreement_every_problem_at_once", createAgreementDoc,
			func(w world) input {
				return agreementIn(w.CustomerID, "").with("program", "SELECT").with("contacts", []any{contact("", "x", "AGREEMENT_ADMINISTRATOR")})
			},
			[]string{"UNKNOWN_VALUE program", "REQUIRED number", "REQUIRED contacts.0.name", "INVALID contacts.0.email"}},
		{"createAgreement_unknown_customer", createAgreementDoc,
			func(w world) input { return agreementIn(missingID("Customer"), "EA-9") },
			[]string{"NOT_FOUND customerId"}},
		{"createEnrollment_malformed_osm_email", createEnrollmentDoc,
			func(w world) input { return enrollmentIn(w.AgreementID, "ENR-9").with("osmEmail", "oscar@") },
			[]string{"INVALID osmEmail"}},
		{"createEnrollment_end_before_start", createEnrollmentDoc,
			func(w world) input { return enrollmentIn(w.AgreementID, "ENR-9").with("endDate", "2026-01-31") },
			[]string{"INVALID endDate"}},
		{"createEnrollment_end_on_start", createEnrollmentDoc,
			func(w world) input { return enrollmentIn(w.AgreementID, "ENR-9").with("endDate", "2026-02-01") },
			[]string{"INVALID endDate"}},
		{"createEnrollment_empty_organization_name", createEnrollmentDoc,
			func(w world) input { return enrollmentIn(w.AgreementID, "ENR-9").with("organizationName", "") },
			[]string{"REQUIRED organizationName"}},
		{"createEnrollment_unknown_agreement", createEnrollmentDoc,
			func(w world) input { return enrollmentIn(missingID("Agreement"), "ENR-9") },
			[]string{"NOT_FOUND agreementId"}},
		{"createCustomer_unknown_country", createCustomerDoc,
			func(w world) input { return customerIn().with("country", "XX") },
			[]string{"INVALID country"}},
		{"createCustomer_lower_case_country", createCustomerDoc,
			func(w world) input { return customerIn().with("country", "de") },
			[]string{"INVALID country"}},
		{"createCustomer_empty_organization_name", createCustomerDoc,
			func(w world) input { return customerIn().with("organizationName", "") },
			[]string{"REQUIRED organizationName"}},
		{"createCustomer_blank_organization_name", createCustomerDoc,
			func(w world) input { return customerIn().with("organizationName", "   ") },
			[]string{"REQUIRED organizationName"}},
		{"createCustomer_organization_name_too_long", createCustomerDoc,
			func(w world) input { return customerIn().with("organizationName", strings.Repeat("n", 201)) },
			[]string{"TOO_LONG organizationName"}},
		{"createAccount_unknown_country", createAccountDoc,
			func(w world) input { return accountIn(w.CustomerID).with("country", "ZZ") },
			[]string{"INVALID country"}},
		{"createAccount_empty_name", createAccountDoc,
			func(w world) input { return accountIn(w.CustomerID).with("name", "") },
			[]string{"REQUIRED name"}},
		{"createAccount_malformed_admin_email", createAccountDoc,
			func(w world) input {
				return accountIn(w.CustomerID).with("administrators", []any{map[string]any{"name": "Gus", "email": "gus", "role": "BILLING_ADMIN"}})
			},
			[]string{"INVALID administrators.0.email"}},
		{"createAccount_malformed_user_name", createAccountDoc,
			func(w world) input {
				return accountIn(w.CustomerID).with("users", []any{map[string]any{"userName": "not an email"}})
			},
			[]string{"INVALID users.0.userName"}},
		{"createAccount_user_twice", createAccountDoc,
			func(w world) input {
				return accountIn(w.CustomerID).with("users", []any{map[string]any{"userName": "nia@northwind.com"}, map[string]any{"userName": "NIA@northwind.com"}})
			},
			[]string{"INVALID users.1.userName"}},
		// The field path names the input field, verifiedDomains (UserError.field).
		{"createAccount_malformed_domain", createAccountDoc,
			func(w world) input { return accountIn(w.CustomerID).with("verifiedDomains", []any{"northwind"}) },
			[]string{"INVALID verifiedDomains.0"}},
		// Refused after the account row is inserted: the transaction must leave nothing behind.
		{"createAccount_domain_verified_on_another_account", createAccountDoc,
			func(w world) input {
				return accountIn(w.CustomerID).with("verifiedDomains", []any{"northwind.com", "fabrikam-tenant.com"})
			},
			[]string{"TAKEN verifiedDomains.1"}},
		{"createAccount_unknown_customer", createAccountDoc,
			func(w world) input { return accountIn(missingID("Customer")) },
			[]string{"NOT_FOUND customerId"}},
	}
	for _, c := range cases {
		ruleCase(t, c.name, func(t *testing.T, e *env) {
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
			before := counts(e, w.Key)
			in := c.input(w)
			wantUserErrors(t, refuse(e, w.Key, c.doc, in), c.want...)
			wantSameCounts(t, before, counts(e, w.Key))
			if n, ok := in["number"].(string); ok && strings.TrimSpace(n) != "" {
				d := e.ok(w.Key, `query($n: String!) { agreement(number: $n) { id } enrollment(number: $n) { id } }`, map[string]any{"n": n})
				if d["agreement"] != nil || d["enrollment"] != nil {
					t.Fatalf("refused number %q can be looked up: %v", n, d)
				}
			}
		})
	}
}

func TestAgreements(t *testing.T) {
	ruleCase(t, "R-AGR-1_open_value_number_starts_with_V", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for _, n := range []string{"2000001", "OV-2000001", " 2000001V"} {
			in := agreementIn(w.CustomerID, n).with("program", "OPEN_VALUE")
			wantUserErrors(t, refuse(e, w.Key, createAgreementDoc, in), "NUMBER_FORMAT number")
		}
		if got := total(e, w.Key, "agreements"); got != 1 {
			t.Fatalf("refused OPEN_VALUE agreements were written: %d agreements", got)
		}
		// The rule is specific to OPEN_VALUE, and a V number is accepted.
		p := e.mutate(w.Key, createAgreementDoc, vars(agreementIn(w.CustomerID, "V2000001").with("program", "OPEN_VALUE")))
		if str(p, "agreement", "program") != "OPEN_VALUE" || str(p, "agreement", "number") != "V2000001" {
			t.Fatalf("got %v", p)
		}
		e.mutate(w.Key, createAgreementDoc, vars(agreementIn(w.CustomerID, "2000001").with("program", "MPSA")))
	})

	ruleCase(t, "R-AGR-2_duplicate_agreement_number_is_TAKEN", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		other := str(e.mutate(w.Key, createCustomerDoc, vars(customerIn())), "customer", "id")
		in := agreementIn(other, "EA-1").with("program", "MPSA")
		ue := refuse(e, w.Key, createAgreementDoc, in)
		wantUserErrors(t, ue, "TAKEN number")
		if !strings.Contains(ue[0].Message, "EA-1") {
			t.Errorf("message does not name the number: %q", ue[0].Message)
		}
		// No second row: one agreement, still the first customer's, with its own two contacts.
		if got := total(e, w.Key, "agreements"); got != 1 {
			t.Fatalf("agreements: %d, want 1", got)
		}
		d := e.ok(w.Key, `query($c: ID!) { agreement(number: "EA-1") { id program customer { id } contacts { email } }
			node(id: $c) { ... on Customer { agreements { totalCount } } } }`, map[string]any{"c": other})
		if str(d, "agreement", "id") != w.AgreementID || str(d, "agreement", "program") != "ENTERPRISE" || str(d, "agreement", "customer", "id") != w.CustomerID {
			t.Fatalf("the first agreement changed: %v", d)
		}
		if n := len(get(d, "agreement", "contacts").([]any)); n != 2 {
			t.Fatalf("the first agreement has %d contacts, want 2", n)
		}
		if n := num(d, "node", "agreements", "totalCount"); n != 0 {
			t.Fatalf("the second customer has %d agreements, want 0", n)
		}
	})

	ruleCase(t, "R-AGR-2_duplicate_enrollment_number_is_TAKEN", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		ea2 := str(e.mutate(w.Key, createAgreementDoc, vars(agreementIn(w.CustomerID, "EA-2"))), "agreement", "id")
		ue := refuse(e, w.Key, createEnrollmentDoc, enrollmentIn(ea2, "ENR-1"))
		wantUserErrors(t, ue, "TAKEN number")
		if got := total(e, w.Key, "enrollments"); got != 1 {
			t.Fatalf("enrollments: %d, want 1", got)
		}
		d := e.ok(w.Key, `query($a: ID!) { enrollment(number: "ENR-1") { id organizationName agreement { id } }
			node(id: $a) { ... on Agreement { enrollments { edges { node { id } } } } } }`, map[string]any{"a": ea2})
		if str(d, "enrollment", "id") != w.EnrollmentID || str(d, "enrollment", "agreement", "id") != w.AgreementID || str(d, "enrollment", "organizationName") != "Fabrikam" {
			t.Fatalf("the first enrollment changed: %v", d)
		}
		if n := len(get(d, "node", "enrollments", "edges").([]any)); n != 0 {
			t.Fatalf("the second agreement has %d enrollments, want 0", n)
		}
		// The same number under the same agreement is refused too.
		wantUserErrors(t, refuse(e, w.Key, createEnrollmentDoc, enrollmentIn(w.AgreementID, "ENR-1")), "TAKEN number")
	})

	ruleCase(t, "R-AGR-2_number_with_surrounding_spaces_is_the_same_number", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for _, n := range []string{" EA-1", "EA-1 ", "\tEA-1"} {
			ue := refuse(e, w.Key, createAgreementDoc, agreementIn(w.CustomerID, n))
			wantUserErrors(t, ue, "TAKEN number")
		}
		for _, n := range []string{" ENR-1", "ENR-1 "} {
			wantUserErrors(t, refuse(e, w.Key, createEnrollmentDoc, enrollmentIn(w.AgreementID, n)), "TAKEN number")
		}
		if a, en := total(e, w.Key, "agreements"), total(e, w.Key, "enrollments"); a != 1 || en != 1 {
			t.Fatalf("%d agreements, %d enrollments: want 1 and 1", a, en)
		}
	})

	ruleCase(t, "R-AGR-3_contacts_keep_their_roles", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		contacts := []any{
			contact("Ana", "ana@northwind.com", "AGREEMENT_ADMINISTRATOR", "VLSC_ADMINISTRATOR", "ONLINE_ADMINISTRATOR"),
			contact("Vic", "vic@northwind.com", "VLSC_ADMINISTRATOR", "ONLINE_ADMINISTRATOR"),
			contact("Oli", "oli@northwind.com", "ONLINE_ADMINISTRATOR"),
		}
		want := jsonString(contacts)
		p := e.mutate(w.Key, createAgreementDoc, vars(agreementIn(w.CustomerID, "EA-3").with("contacts", contacts)))
		if got := jsonString(get(p, "agreement", "contacts")); got != want {
			t.Fatalf("createAgreement returned contacts %s, want %s", got, want)
		}
		id := str(p, "agreement", "id")
		d := e.ok(w.Key, `query($id: ID!) { agreement(number: "EA-3") { contacts { name email roles } }
			node(id: $id) { ... on Agreement { contacts { name email roles } } } }`, map[string]any{"id": id})
		for _, path := range [][]any{{"agreement", "contacts"}, {"node", "contacts"}} {
			if got := jsonString(get(d, path...)); got != want {
				t.Fatalf("%v read back %s, want %s", path, got, want)
			}
		}
	})
}

// TestNodeResolvesEveryType: node(id:) returns each type by the id the API gave out.
func TestNodeResolvesEveryType(t *testing.T) {
	const doc = `query($id: ID!) { node(id: $id) { __typename id } }`
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		userID := str(e.ok(w.Key, `query($a: ID!) { node(id: $a) { ... on Account { users(first: 1) { edges { node { id } } } } } }`,
			map[string]any{"a": w.AccountID}), "node", "users", "edges", 0, "node", "id")
		ids := map[string]string{"Reseller": w.ResellerID, "Customer": w.CustomerID, "Agreement": w.AgreementID,
			"Enrollment": w.EnrollmentID, "Account": w.AccountID, "AccountUser": userID}
		for _, key := range []string{w.Key, e.Operator} {
			for typ, id := range ids {
				d := e.ok(key, doc, map[string]any{"id": id})
				if str(d, "node", "__typename") != typ || str(d, "node", "id") != id {
					t.Errorf("node(%s id) = %v", typ, d["node"])
				}
			}
		}
		// ApiKey implements Node too: an operator resolves a key by the id createApiKey gave.
		k := e.mutate(e.Operator, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: READER, name: "bi"}) { apiKey { id } userErrors { field code message } } }`,
			map[string]any{"r": w.ResellerID})
		keyID := str(k, "apiKey", "id")
		if d := e.ok(e.Operator, doc, map[string]any{"id": keyID}); str(d, "node", "__typename") != "ApiKey" || str(d, "node", "id") != keyID {
			t.Errorf("node(ApiKey id) = %v, want the ApiKey", d["node"])
		}
		// Unknown, forged or malformed ids are null, not errors.
		for _, id := range []string{missingID("Customer"), missingID("Nope"), "not-an-id", "", base64.RawURLEncoding.EncodeToString([]byte("Customer:-1"))} {
			if d := e.ok(w.Key, doc, map[string]any{"id": id}); d["node"] != nil {
				t.Errorf("node(%q) = %v, want null", id, d["node"])
			}
		}
	})
}

func TestPagination(t *testing.T) {
	ruleCase(t, "first_out_of_range_is_BAD_USER_INPUT", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		docs := []string{
			`query($f: Int) { customers(first: $f) { totalCount } }`,
			`query($f: Int) { agreements(first: $f) { totalCount } }`,
			`query($f: Int) { enrollments(first: $f) { totalCount } }`,
			`query($f: Int) { accounts(first: $f) { totalCount } }`,
			`query($f: Int) { resellers(first: $f) { totalCount } }`,
			`query($f: Int) { apiKeys(first: $f) { totalCount } }`,
			`query($f: Int) { skus(first: $f) { totalCount } }`,
			`query($f: Int) { customers { edges { node { agreements(first: $f) { totalCount } } } } }`,
			`query($f: Int) { accounts { edges { node { users(first: $f) { totalCount } } } } }`,
		}
		for _, doc := range docs {
			for _, first := range []int{0, -1, 101} {
				r := e.do(w.Key, doc, map[string]any{"f": first})
				if r.errCode() != "BAD_USER_INPUT" {
					t.Errorf("%s with first=%d: got %s", doc, first, r.Raw)
				}
			}
			if r := e.do(w.Key, doc, map[string]any{"f": 100}); len(r.Errors) > 0 {
				t.Errorf("%s with first=100: %s", doc, r.Raw)
			}
		}
	})

	ruleCase(t, "garbage_cursor_is_BAD_USER_INPUT", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		forged := base64.RawURLEncoding.EncodeToString([]byte("c:abc"))
		for _, doc := range []string{
			`query($a: String) { customers(after: $a) { totalCount } }`,
			`query($a: String) { enrollments(after: $a) { totalCount } }`,
			`query($a: String) { accounts { edges { node { users(after: $a) { totalCount } } } } }`,
			`query($a: String) { skus(after: $a) { totalCount } }`,
		} {
			for _, after := range []string{"garbage", "!!!", forged} {
				if r := e.do(w.Key, doc, map[string]any{"a": after}); r.errCode() != "BAD_USER_INPUT" {
					t.Errorf("%s with after=%q: got %s", doc, after, r.Raw)
				}
			}
		}
	})

	ruleCase(t, "pages_cover_every_item_once", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for i := 0; i < 6; i++ {
			e.mutate(w.Key, createCustomerDoc, vars(customerIn()))
		}
		const doc = `query($f: Int, $a: String) { customers(first: $f, after: $a) { totalCount
			edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
		all := edgeIDs(e.ok(w.Key, doc, map[string]any{"f": 100}), "customers")
		if len(all) != 7 {
			t.Fatalf("one page of 100 has %d customers, want 7", len(all))
		}
		walkPages(t, e, w.Key, doc, "customers", 3, all, []int{3, 3, 1})
	})

	ruleCase(t, "catalog_pages_cover_every_sku_once", func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		const doc = `query($f: Int, $a: String) { skus(first: $f, after: $a) { totalCount
			edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
		var all []string
		for _, edge := range get(e.ok(w.Key, doc, nil), "skus", "edges").([]any) {
			all = append(all, str(edge, "node", "code"))
		}
		walkPages(t, e, w.Key, doc, "skus", 4, all, []int{4, 4, len(all) - 8})
	})
}

// edgeIDs returns the node ids of a connection, in order.
func edgeIDs(data map[string]any, list string) []string {
	var out []string
	edges, _ := get(data, list, "edges").([]any)
	for _, edge := range edges {
		out = append(out, str(edge, "node", "id"))
	}
	return out
}

// walkPages pages through list with first=size following endCursor and checks the pages are
// sized as want, keep totalCount and pageInfo right, and together list all exactly once.
func walkPages(t *testing.T, e *env, key, doc, list string, size int, all []string, want []int) {
	t.Helper()
	var seen []string
	var after any
	for page := 0; ; page++ {
		d := e.ok(key, doc, map[string]any{"f": size, "a": after})
		conn := get(d, list)
		edges, _ := get(conn, "edges").([]any)
		if page >= len(want) || len(edges) != want[page] {
			t.Fatalf("page %d has %d items, want pages of %v", page, len(edges), want)
		}
		if n := num(conn, "totalCount"); n != len(all) {
			t.Fatalf("page %d: totalCount %d, want %d", page, n, len(all))
		}
		last := page == len(want)-1
		if get(conn, "pageInfo", "hasNextPage") != !last || get(conn, "pageInfo", "hasPreviousPage") != false {
			t.Fatalf("page %d: pageInfo %v", page, get(conn, "pageInfo"))
		}
		if str(conn, "pageInfo", "startCursor") != str(edges[0], "cursor") || str(conn, "pageInfo", "endCursor") != str(edges[len(edges)-1], "cursor") {
			t.Fatalf("page %d: pageInfo cursors %v do not match its edges", page, get(conn, "pageInfo"))
		}
		for _, edge := range edges {
			id := str(edge, "node", "id")
			if id == "" {
				id = str(edge, "node", "code")
			}
			seen = append(seen, id)
		}
		if last {
			break
		}
		after = str(conn, "pageInfo", "endCursor")
	}
	if !reflect.DeepEqual(seen, all) {
		t.Fatalf("pages listed %v, want each of %v once, in order", seen, all)
	}
	// After the last item: an empty page, not an error.
	d := e.ok(key, doc, map[string]any{"f": size, "a": str(get(e.ok(key, doc, map[string]any{"f": 100}), list, "pageInfo", "endCursor"))})
	if n := len(get(d, list, "edges").([]any)); n != 0 || get(d, list, "pageInfo", "hasNextPage") != false {
		t.Fatalf("the page after the last item: %v", get(d, list))
	}
}

// TestMalformedDateIsBadUserInput: a Date that is not YYYY-MM-DD is the caller's mistake, as a
// literal or as a variable, and nothing is written.
func TestMalformedDateIsBadUserInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		before := counts(e, w.Key)
		for _, bad := range []string{"2026-13-01", "2026-02-30", "2026-1-1", "01/02/2026", "2026-01-01T00:00:00Z", ""} {
			literal := `mutation($c: ID!) { createAgreement(input: {customerId: $c, program: "ENTERPRISE", number: "EA-7",
				startDate: ` + jsonString(bad) + `, anniversaryDate: "2027-01-01"}) { agreement { id } userErrors { code } } }`
			r := e.do(w.Key, literal, map[string]any{"c": w.CustomerID})
			wantBadDate(t, r, "literal "+bad)
			r = e.do(w.Key, createEnrollmentDoc, vars(enrollmentIn(w.AgreementID, "ENR-7").with("endDate", bad)))
			wantBadDate(t, r, "variable "+bad)
		}
		// A number where a Date string belongs.
		wantBadDate(t, e.do(w.Key, createEnrollmentDoc, vars(enrollmentIn(w.AgreementID, "ENR-7").with("startDate", 20260101))), "number")
		wantSameCounts(t, before, counts(e, w.Key))
	})
}

func wantBadDate(t *testing.T, r *response, what string) {
	t.Helper()
	if r.errCode() != "BAD_USER_INPUT" {
		t.Errorf("Date %s: want a BAD_USER_INPUT error, got %d %s", what, r.Status, r.Raw)
	}
	if strings.Contains(r.Raw, "internal error") {
		t.Errorf("Date %s: reported as an internal error: %s", what, r.Raw)
	}
}

// TestSkuCatalog: the shipped catalog, its add-ons and their base SKUs.
func TestSkuCatalog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		d := e.ok(w.Key, `{ skus { totalCount edges { node { code name family kind unit baseSkus countries incompatibleSkus } } } }`, nil)
		byCode := map[string]any{}
		for _, edge := range get(d, "skus", "edges").([]any) {
			byCode[str(edge, "node", "code")] = get(edge, "node")
		}
		if num(d, "skus", "totalCount") != len(byCode) {
			t.Fatalf("totalCount %d, %d SKUs listed", num(d, "skus", "totalCount"), len(byCode))
		}
		want := map[string]string{ // code: family kind unit [baseSkus]
			"O365-E1":           "OFFICE_365 BASE SEAT []",
			"O365-E3":           "OFFICE_365 BASE SEAT []",
			"O365-E5":           "OFFICE_365 BASE SEAT []",
			"M365-E3":           "MICROSOFT_365 BASE SEAT []",
			"M365-E5":           "MICROSOFT_365 BASE SEAT []",
			"D365-SALES-PRO":    "DYNAMICS_365 BASE SEAT []",
			"D365-ADD-INSTANCE": `DYNAMICS_365 ADD_ON INSTANCE ["D365-SALES-PRO"]`,
			"D365-ADD-STORAGE":  `DYNAMICS_365 ADD_ON GB ["D365-SALES-PRO"]`,
			"INTUNE":            "INTUNE BASE SEAT []",
		}
		for code, w := range want {
			sku := byCode[code]
			if sku == nil {
				t.Errorf("%s is not in the catalog", code)
				continue
			}
			got := str(sku, "family") + " " + str(sku, "kind") + " " + str(sku, "unit") + " " + jsonString(get(sku, "baseSkus"))
			if got != w || str(sku, "name") == "" {
				t.Errorf("%s: got %s (name %q), want %s", code, got, str(sku, "name"), w)
			}
		}
		one := e.ok(w.Key, `{ sku(code: "D365-ADD-STORAGE") { code unit baseSkus } missing: sku(code: "NOPE") { code } }`, nil)
		if str(one, "sku", "unit") != "GB" || one["missing"] != nil {
			t.Errorf("sku(code:) = %v", one)
		}
		addOns := e.ok(w.Key, `{ skus(filter: {kind: ADD_ON}) { totalCount edges { node { code } } } }`, nil)
		if num(addOns, "skus", "totalCount") != 2 {
			t.Errorf("add-ons: %v", addOns)
		}
	})
}

// TestCustomerFilters: nameContains is a plain, case-insensitive substring; % and _ in it are
// literal characters on every engine.
func TestCustomerFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		key, _ := e.newReseller("Contoso")
		names := map[string]string{}
		for _, n := range []string{"100% Widgets", "1000 Widgets", "Snake_Case Ltd", "SnakeXCase Ltd", `Back\slash AG`, "Northwind"} {
			country := "US"
			if strings.HasPrefix(n, "North") {
				country = "DE"
			}
			names[str(e.mutate(key, createCustomerDoc, vars(input{"organizationName": n, "country": country})), "customer", "id")] = n
		}
		for _, c := range []struct {
			filter string
			want   []string
		}{
			{`{nameContains: "widgets"}`, []string{"100% Widgets", "1000 Widgets"}},
			{`{nameContains: "%"}`, []string{"100% Widgets"}},
			{`{nameContains: "0% W"}`, []string{"100% Widgets"}},
			{`{nameContains: "_"}`, []string{"Snake_Case Ltd"}},
			{`{nameContains: "e_c"}`, []string{"Snake_Case Ltd"}},
			{`{nameContains: "\\"}`, []string{`Back\slash AG`}},
			{`{country: "DE"}`, []string{"Northwind"}},
			{`{country: "US", nameContains: "ltd"}`, []string{"Snake_Case Ltd", "SnakeXCase Ltd"}},
		} {
			d := e.ok(key, `{ customers(filter: `+c.filter+`) { totalCount edges { node { id } } } }`, nil)
			var got []string
			for _, id := range edgeIDs(d, "customers") {
				got = append(got, names[id])
			}
			if num(d, "customers", "totalCount") != len(c.want) || !reflect.DeepEqual(got, c.want) {
				t.Errorf("customers(filter: %s) = %v (totalCount %d), want %v", c.filter, got, num(d, "customers", "totalCount"), c.want)
			}
		}
	})
}
