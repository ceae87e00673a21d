package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/graph"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func schema(t testing.TB) *ast.Schema {
	t.Helper()
	return graph.NewExecutableSchema(graph.Config{Resolvers: &resolvers.Resolver{}}).Schema()
}

func mustParse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatalf("parse %q: %v", q, err)
	}
	return doc
}

func TestMeasureExpandsFragmentsOnce(t *testing.T) {
	// F0 spreads F1 twice ... F30 has two fields: 2^31 fields expanded, measured in 31 steps.
	var b strings.Builder
	b.WriteString("{ ...F0 }")
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}
	b.WriteString(" fragment F30 on Query { viewer { role } }")
	start := time.Now()
	s := measure(mustParse(t, b.String()))
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("measuring took %s", time.Since(start))
	}
	// The operation expands to 2^31 fields; each fragment is also measured on its own.
	if s.fields < 1<<31 || s.spreads < 1<<31 {
		t.Fatalf("fields %d, spreads %d: the expansion was not counted", s.fields, s.spreads)
	}
	if ref := DefaultLimits().check(s); ref == nil || ref.errors[0].Extensions["code"] != CodeTooManyFragments {
		t.Fatalf("want TOO_MANY_FRAGMENTS, got %+v", ref)
	}
}

func TestMeasureCounts(t *testing.T) {
	for _, c := range []struct {
		q                                           string
		fields, aliases, spreads, directives, depth int
		repeated                                    int
	}{
		{`{ viewer { role } }`, 2, 0, 0, 0, 2, 1},
		{`{ a: viewer { role } b: viewer @skip(if: false) { role } }`, 4, 2, 0, 1, 2, 1},
		{`{ ...F ...F } fragment F on Query { viewer { role } }`, 6, 0, 2, 0, 2, 2},
		{`{ ... on Query { viewer { role } } viewer { role } }`, 4, 0, 0, 0, 2, 2},
		{`{ ...A } fragment A on Query { ...A }`, 0, 0, 3, 0, 0, 0}, // a cycle ends; validation reports it
	} {
		s := measure(mustParse(t, c.q))
		if s.fields != c.fields || s.aliases != c.aliases || s.spreads != c.spreads || s.directives != c.directives || s.depth != c.depth || s.repeated != c.repeated {
			t.Errorf("%s: got fields %d aliases %d spreads %d directives %d depth %d repeated %d", c.q, s.fields, s.aliases, s.spreads, s.directives, s.depth, s.repeated)
		}
	}
}

// price validates q against the real schema and prices it.
func priced(t *testing.T, q string, vars map[string]any) price {
	t.Helper()
	s := schema(t)
	doc, errs := gqlparser.LoadQuery(s, q)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", q, errs)
	}
	m, err := newCostModel(s, 9)
	if err != nil {
		t.Fatal(err)
	}
	return m.priceOperation(doc.Operations[0], vars)
}

func TestCost(t *testing.T) {
	for _, c := range []struct {
		q          string
		vars       map[string]any
		cost, aggs int
		refusal    string
	}{
		{`{ viewer { role } }`, nil, 0, 0, ""},
		{`{ viewer { reseller { name } } }`, nil, 1, 0, ""},
		// a page: the connection 1 + first x (node 1 + its customer 1)
		{`{ enrollments(first: 10) { totalCount edges { node { number agreement { customer { organizationName } } } } } }`, nil, 1 + 10*3, 0, ""},
		{`query($n: Int) { enrollments(first: $n) { edges { node { number } } } }`, map[string]any{"n": int64(50)}, 1 + 50, 0, ""},
		{`{ enrollments { edges { node { number } } } }`, nil, 1 + 20, 0, ""}, // the schema's default first
		// per-SKU lists cost the catalog's size (9 here)
		{`{ accounts(first: 2) { edges { node { licenses { sku { code } } } } } }`, nil, 1 + 2*(1+5+9), 0, ""},
		// aggregations carry their weight and are counted
		{`{ a: licenseSummary(groupBy: [SKU], first: 10) { totalCount } b: activationStatus(enrollmentNumber: "E") { state } }`, nil, (100 + 1) + 10, 2, ""},
		{`mutation { createCustomer(input: {organizationName: "x", country: "US"}) { customer { id } userErrors { code } } }`, nil, 10 + 1, 0, ""},
		{`{ __schema { types { name fields { name type { name ofType { name } } } } } }`, nil, introspectionWeight, 0, ""},
		{`{ __schema { types { fields { type { fields { name } } } } } }`, nil, introspectionWeight, 0, CodeIntrospectionTooDeep},
		{`{ ...F ...F } fragment F on Query { enrollments(first: 5) { edges { node { number } } } }`, nil, 2 * (1 + 5), 0, ""},
	} {
		p := priced(t, c.q, c.vars)
		code := ""
		if p.refusal != nil {
			code = p.refusal.errors[0].Extensions["code"].(string)
		}
		if p.cost != c.cost || p.aggregations != c.aggs || code != c.refusal {
			t.Errorf("%s: cost %d aggregations %d refusal %q; want %d, %d, %q", c.q, p.cost, p.aggregations, code, c.cost, c.aggs, c.refusal)
		}
	}
}

// Every list of objects that is not a page has a maximum size, and every String, ID and list
// input has a @bound: otherwise newCostModel or this test refuses the schema.
func TestSchemaBoundsEveryInput(t *testing.T) {
	s := schema(t)
	if _, err := newCostModel(s, 9); err != nil {
		t.Fatal(err)
	}
	if missing := unboundedInputs(s); len(missing) > 0 {
		t.Fatalf("inputs without @bound: %v", missing)
	}
}

func TestBounds(t *testing.T) {
	s := schema(t)
	for _, c := range []struct {
		q     string
		vars  map[string]any
		field string // "" when within bounds
	}{
		{`{ enrollment(number: "ENR-1") { id } }`, nil, ""},
		{`query($n: String!) { enrollment(number: $n) { id } }`, map[string]any{"n": strings.Repeat("é", 1000)}, ""}, // characters, not bytes
		{`query($n: String!) { enrollment(number: $n) { id } }`, map[string]any{"n": strings.Repeat("n", 1001)}, "number"},
		{`{ customers(first: 101) { totalCount } }`, nil, "first"},
		{`{ customers(first: 0) { totalCount } }`, nil, "first"},
		{`query($ids: [ID!]) { licenseSummary(groupBy: [SKU], filter: {customerIds: $ids}) { totalCount } }`, map[string]any{"ids": make([]any, 101)}, "filter.customerIds"},
		{`query($s: [String!]) { licenseSummary(groupBy: [SKU], filter: {skus: $s}) { totalCount } }`, map[string]any{"s": []any{"ok", strings.Repeat("s", 65)}}, "filter.skus.1"},
		{`mutation($u: [AccountUserInput!]!) { addAccountUsers(input: {accountId: "a", users: $u}) { userErrors { code } } }`,
			map[string]any{"u": []any{map[string]any{"userName": "a@b.c"}, map[string]any{"userName": strings.Repeat("u", 1001)}}}, "input.users.1.userName"},
	} {
		doc, errs := gqlparser.LoadQuery(s, c.q)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.q, errs)
		}
		got := checkBounds(s, doc.Operations[0], c.vars, 10)
		switch {
		case c.field == "" && len(got) > 0:
			t.Errorf("%s: refused within bounds: %v", c.q, got)
		case c.field != "" && (len(got) != 1 || strings.Join(got[0].Extensions["field"].([]string), ".") != c.field || got[0].Extensions["code"] != "BAD_USER_INPUT"):
			t.Errorf("%s: want BAD_USER_INPUT on %s, got %v", c.q, c.field, got)
		}
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	th := newThrottle(func() time.Time { return now })
	l := models.KeyLimits{BucketSize: 100, RestoreRate: 10, MaxInFlight: 2}
	if _, _, ok := th.take(1, l, 80); !ok {
		t.Fatal("a full bucket refused 80 of 100")
	}
	st, wait, ok := th.take(1, l, 30)
	if ok || st.CurrentlyAvailable != 20 || wait != time.Second {
		t.Fatalf("30 of 20 left: ok %v, status %+v, wait %s; want refused, 20 left, 1s", ok, st, wait)
	}
	if _, _, ok := th.take(2, l, 100); !ok {
		t.Fatal("another key shares the first key's bucket")
	}
	now = now.Add(time.Second) // +10
	if st := th.refund(1, l, 50); st.CurrentlyAvailable != 80 {
		t.Fatalf("after 1s and a refund of 50: %+v, want 80", st)
	}
	now = now.Add(time.Hour)
	if st, _, _ := th.take(1, l, 0); st.CurrentlyAvailable != 100 {
		t.Fatalf("the bucket refills past its size: %+v", st)
	}
	if !th.enter(1, l) || !th.enter(1, l) || th.enter(1, l) {
		t.Fatal("in flight: want 2 admitted, the third refused")
	}
	th.leave(1)
	if !th.enter(1, l) {
		t.Fatal("in flight: a request that left frees its place")
	}
}

func TestScanJSON(t *testing.T) {
	for _, c := range []struct {
		raw             string
		values, longest int
	}{
		{``, 0, 0},
		{`{"a": 1, "b": [true, false, null, -2.5e3], "c": "x\"y"}`, 11, 4}, // keys count too
		{`{"ids": ["1","2","3"]}`, 6, 3},
	} {
		v, l := scanJSON([]byte(c.raw))
		if v != c.values || l != c.longest {
			t.Errorf("%s: %d values, longest %d; want %d, %d", c.raw, v, l, c.values, c.longest)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"key lk_123_" + strings.Repeat("ab", 32) + " used":           "key lk_123_[REDACTED] used",
		"Authorization: Bearer abc.def":                              "Authorization: Bearer [REDACTED]",
		"https://portal/activate?token=" + strings.Repeat("f", 64):   "https://portal/activate?token=[REDACTED]",
		"key BCDFG-HJKMP-QRTVW-XY234-6789B refused":                  "key [REDACTED] refused",
		"a plain message about enrollment ENR-1 and order ORD-5Z3K0": "a plain message about enrollment ENR-1 and order ORD-5Z3K0",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// The executor reads plain fields (a scalar or an enum, no resolver) straight from their struct,
// past the field middleware (tools/graphgen): the cost meter would not see them, so none may be
// charged. A charged scalar must have a resolver.
func TestChargedScalarsHaveResolvers(t *testing.T) {
	s := schema(t)
	m, err := newCostModel(s, 9)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range s.Types {
		for _, f := range typ.Fields {
			if _, charged := m.charges[f]; charged && f.Type.Elem == nil && m.leaf(f.Type.Name()) &&
				!graph.ResolvedFields[typ.Name][f.Name] {
				t.Errorf("%s.%s is charged but read as a plain field: give it a resolver in gqlgen.yml", typ.Name, f.Name)
			}
		}
	}
}
