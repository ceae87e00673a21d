// Package hostile is a catalogue of hostile requests: what a client who means harm (or a broken
// one) sends to the API, and how each must be refused. The e2e suite asserts every one on both
// stores, the Hostile benchmark measures what refusing each costs, and cmd/hostile-load fires
// them at a running server while a well-behaved client works.
package hostile

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Key says which key an attack is sent with.
type Key int

const (
	NoKey    Key = iota // no Authorization header at all
	Reseller            // a RESELLER key
	Reader              // a READER key
)

// Attack is one hostile request and the refusal it must get.
type Attack struct {
	Family string // the family of the list (overlapping fields, fragment bombs...)
	Name   string
	Key    Key
	Method string // POST (JSON body) or GET (Body is the query string)
	Body   string
	Status int    // the HTTP status it must get
	Code   string // the extensions.code of its first error
	// MaxErrors bounds the errors of the response (validation must not list every conflict).
	MaxErrors int
}

// Request builds the HTTP request of the attack against base (http://host:port) with the key.
func (a Attack) Request(base, key string) (*http.Request, error) {
	var req *http.Request
	var err error
	if a.Method == http.MethodGet {
		req, err = http.NewRequest(http.MethodGet, base+"/graphql?"+a.Body, nil)
	} else {
		req, err = http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(a.Body))
		if req != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err == nil && key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req, err
}

func post(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func repeat(n int, f func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(f(i))
		b.WriteByte(' ')
	}
	return b.String()
}

// fragmentBomb is n fragments where each spreads the next twice: 2^n fields once expanded.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 } ")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d } ", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { viewer { role } }", n)
	return b.String()
}

// throughFragments spreads n fragments into one selection, each with the same field name and
// other arguments: the fields are all one selection's once the fragments are expanded.
func throughFragments(n int) string {
	var b strings.Builder
	b.WriteString("{ " + repeat(n, func(i int) string { return fmt.Sprintf("...F%d", i) }) + "} ")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `fragment F%d on Query { sku(code: "C%d") { code } } `, i, i)
	}
	return b.String()
}

// nestedLists nests agreement -> enrollments -> agreement ... levels deep, each page of 100.
func nestedLists(levels int) string {
	q := "number"
	for i := 0; i < levels; i++ {
		q = "agreement { enrollments(first: 100) { edges { node { " + q + " } } } }"
	}
	return `{ enrollment(number: "ENR-1") { ` + q + ` } }`
}

// All lists every attack. Bodies are built once per call; they are deterministic.
func All() []Attack {
	sameAlias := func(n int) string {
		return "{ " + repeat(n, func(i int) string { return fmt.Sprintf(`x: sku(code: "C%d") { code }`, i) }) + "}"
	}
	noAlias := func(n int) string {
		return "{ " + repeat(n, func(i int) string { return fmt.Sprintf(`sku(code: "C%d") { code }`, i) }) + "}"
	}
	summary := func(n int) string {
		return "{ " + repeat(n, func(i int) string {
			return fmt.Sprintf(`s%d: licenseSummary(groupBy: [CUSTOMER, SKU]) { totalCount edges { node { licensed assigned } } }`, i)
		}) + "}"
	}
	ids := make([]string, 70000)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	var deep strings.Builder
	deep.WriteString("{ ")
	for i := 0; i < 100; i++ {
		deep.WriteString("a { ")
	}
	deep.WriteString("b ")
	deep.WriteString(strings.Repeat("} ", 101))
	return []Attack{
		{Family: "overlapping fields", Name: "1500_same_alias_without_a_key", Key: NoKey, Body: post(sameAlias(1500), nil), Status: 401, Code: "UNAUTHENTICATED"},
		{Family: "overlapping fields", Name: "1500_same_alias", Key: Reader, Body: post(sameAlias(1500), nil), Status: 413, Code: "QUERY_TOO_LARGE"},
		{Family: "overlapping fields", Name: "400_same_alias", Key: Reader, Body: post(sameAlias(400), nil), Status: 200, Code: "TOO_MANY_FIELDS"},
		{Family: "overlapping fields", Name: "240_same_name_different_arguments", Key: Reader, Body: post(noAlias(240), nil), Status: 200, Code: "REPEATED_FIELDS"},
		{Family: "overlapping fields", Name: "30_same_name_through_fragments", Key: Reader, Body: post(throughFragments(30), nil), Status: 200, Code: "REPEATED_FIELDS"},
		{Family: "overlapping fields", Name: "10_same_name_different_arguments", Key: Reader, Body: post(noAlias(10), nil), Status: 200, Code: "GRAPHQL_VALIDATION_FAILED", MaxErrors: 10},
		{Family: "fragment bombs", Name: "1000_fragments_without_a_key", Key: NoKey, Body: post(fragmentBomb(1000), nil), Status: 401, Code: "UNAUTHENTICATED"},
		{Family: "fragment bombs", Name: "24_fragments", Key: Reader, Body: post(fragmentBomb(24), nil), Status: 200, Code: "TOO_MANY_FRAGMENTS"},
		{Family: "fragment bombs", Name: "400_fragments", Key: Reader, Body: post(fragmentBomb(400), nil), Status: 200, Code: "TOO_MANY_FRAGMENTS"},
		{Family: "fragment bombs", Name: "cycle", Key: Reader, Body: post(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, nil), Status: 200, Code: "GRAPHQL_VALIDATION_FAILED", MaxErrors: 10},
		{Family: "deep nesting", Name: "lists_3_levels", Key: Reader, Body: post(nestedLists(3), nil), Status: 200, Code: "MAX_COST_EXCEEDED"},
		{Family: "deep nesting", Name: "lists_6_levels", Key: Reader, Body: post(nestedLists(6), nil), Status: 200, Code: "QUERY_TOO_DEEP"},
		{Family: "deep nesting", Name: "100_levels", Key: Reader, Body: post(deep.String(), nil), Status: 200, Code: "QUERY_TOO_DEEP"},
		{Family: "alias floods", Name: "100_aliases", Key: Reader, Body: post("{ "+repeat(100, func(i int) string { return fmt.Sprintf("a%d: viewer { role }", i) })+"}", nil), Status: 200, Code: "TOO_MANY_ALIASES"},
		{Family: "directive floods", Name: "200_directives", Key: Reader, Body: post("{ viewer "+strings.Repeat("@skip(if: false) ", 200)+"{ role } }", nil), Status: 200, Code: "TOO_MANY_DIRECTIVES"},
		{Family: "huge variables", Name: "filter_of_70000_ids", Key: Reader,
			Body: post(`query($ids: [ID!]) { licenseSummary(groupBy: [SKU], filter: {customerIds: $ids}) { totalCount } }`, map[string]any{"ids": ids}), Status: 200, Code: "VARIABLES_TOO_LARGE"},
		{Family: "huge variables", Name: "filter_of_101_ids", Key: Reader,
			Body: post(`query($ids: [ID!]) { licenseSummary(groupBy: [SKU], filter: {customerIds: $ids}) { totalCount } }`, map[string]any{"ids": ids[:101]}), Status: 200, Code: "BAD_USER_INPUT"},
		{Family: "huge variables", Name: "900KB_name", Key: Reseller,
			Body: post(`mutation($n: String!) { createCustomer(input: {organizationName: $n, country: "US"}) { customer { id } } }`, map[string]any{"n": strings.Repeat("n", 900_000)}), Status: 200, Code: "VARIABLES_TOO_LARGE"},
		{Family: "huge variables", Name: "1001_character_name", Key: Reseller,
			Body: post(`mutation($n: String!) { createCustomer(input: {organizationName: $n, country: "US"}) { customer { id } } }`, map[string]any{"n": strings.Repeat("n", 1001)}), Status: 200, Code: "BAD_USER_INPUT"},
		{Family: "huge variables", Name: "variables_not_an_object", Key: Reader, Body: `{"query": "{ viewer { role } }", "variables": [` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `]}`, Status: 400, Code: "BAD_USER_INPUT"},
		{Family: "aggregation floods", Name: "50_summaries", Key: Reader, Body: post(summary(50), nil), Status: 200, Code: "TOO_MANY_AGGREGATIONS"},
		{Family: "aggregation floods", Name: "6_summaries", Key: Reader, Body: post(summary(6), nil), Status: 200, Code: "TOO_MANY_AGGREGATIONS"},
		{Family: "aggregation floods", Name: "6_activation_statuses", Key: Reader, Body: post("{ "+repeat(6, func(i int) string {
			return fmt.Sprintf(`s%d: activationStatus(enrollmentNumber: "ENR-1") { state }`, i)
		})+"}", nil), Status: 200, Code: "TOO_MANY_AGGREGATIONS"},
		{Family: "oversized inputs", Name: "body_over_1MiB", Key: Reseller, Body: post(`{ viewer { role } }`, map[string]any{"pad": strings.Repeat("p", 1<<20)}), Status: 413, Code: "REQUEST_TOO_LARGE"},
		{Family: "oversized inputs", Name: "query_text_over_32KiB", Key: Reader, Body: post("{ viewer { role } } # "+strings.Repeat("c", 33<<10), nil), Status: 413, Code: "QUERY_TOO_LARGE"},
		{Family: "oversized inputs", Name: "6000_tokens", Key: Reader, Body: post("query("+repeat(1500, func(i int) string { return fmt.Sprintf("$v%d: Int", i) })+") { viewer { role } }", nil), Status: 200, Code: "TOO_MANY_TOKENS"},
		{Family: "oversized inputs", Name: "idempotency_key_of_201_characters", Key: Reseller,
			Body: post(`mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } userErrors { code } } }`, map[string]any{"in": map[string]any{
				"enrollmentNumber": "ENR-1", "purchaseDate": "2026-11-23", "usageStartDate": "2026-11-23", "idempotencyKey": strings.Repeat("k", 201),
				"lines": []any{map[string]any{"sku": "O365-E3", "quantity": 1}}}}), Status: 200, Code: "BAD_USER_INPUT"},
		{Family: "oversized inputs", Name: "DateTime_in_year_0", Key: Reader, Body: post(`{ activationStatus(enrollmentNumber: "ENR-1", asOf: "0000-01-01T00:00:00Z") { state } }`, nil), Status: 200, Code: "BAD_USER_INPUT"},
		{Family: "oversized inputs", Name: "Date_in_year_9999", Key: Reseller,
			Body: post(`mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id } userErrors { code } } }`, map[string]any{"in": map[string]any{
				"enrollmentNumber": "ENR-1", "purchaseDate": "9999-12-31", "usageStartDate": "2026-11-23", "idempotencyKey": "k-9999",
				"lines": []any{map[string]any{"sku": "O365-E3", "quantity": 1}}}}), Status: 200, Code: "BAD_USER_INPUT"},
		{Family: "oversized inputs", Name: "2000_user_names", Key: Reseller,
			Body: post(`mutation($u: [String!]!) { assignLicenses(input: {accountId: "x", sku: "O365-E3", userNames: $u}) { userErrors { code } } }`, map[string]any{"u": ids[:2000]}), Status: 200, Code: "BAD_USER_INPUT"},
	}
}
