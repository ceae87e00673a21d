package execution

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const schema = `
type Query { orders: [Order!]! node: Node }
interface Node { id: ID! }
type Order implements Node { id: ID! number: String! lines: [Line!]! enrollment: Enrollment! }
type Line { sku: String! quantity: Int! }
type Enrollment implements Node { id: ID! number: String! }
`

// resolved is as tools/graphgen would write it for schema: Order.enrollment has a resolver.
var resolved = Resolved{"Order": {"enrollment": true}}

func parse(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: schema})
	doc, errs := gqlparser.LoadQuery(s, query)
	if errs != nil {
		t.Fatal(errs)
	}
	return doc
}

// itemsOf is the selection of the items of the query's first root field.
func itemsOf(doc *ast.QueryDocument) ast.SelectionSet {
	return doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet
}

func TestWaits(t *testing.T) {
	for _, c := range []struct {
		query string
		waits bool
	}{
		{`{ orders { id number lines { sku quantity } } }`, false},
		{`{ orders { __typename id } }`, false},
		{`{ orders { id enrollment { number } } }`, true},
		{`{ orders { ... on Order { enrollment { id } } } }`, true},
		{`{ orders { ...F } } fragment F on Order { lines { sku } }`, false},
		{`{ orders { ...F } } fragment F on Order { enrollment { id } }`, true},
		{`{ orders { ... @defer { number } } }`, true},
		{`{ node { id } }`, true}, // an interface's field: the concrete type is not known here
	} {
		if got := resolved.waits(nil, itemsOf(parse(t, c.query))); got != c.waits {
			t.Errorf("%s: waits %v, want %v", c.query, got, c.waits)
		}
	}
}

func TestPrefetchedFieldDoesNotWait(t *testing.T) {
	doc := parse(t, `{ orders { id enrollment { number } } }`)
	ctx := graphql.WithOperationContext(WithPrefetch(context.Background()), &graphql.OperationContext{Doc: doc})
	items := itemsOf(doc)
	p := prefetchedIn(ctx)
	if !resolved.waits(p, items) {
		t.Fatal("waits before the field is prefetched")
	}
	MarkPrefetched(ctx, items[1].(*ast.Field))
	if resolved.waits(p, items) {
		t.Fatal("still waits once the field is prefetched")
	}
}

func TestRepeatedFragmentIsNotMarked(t *testing.T) {
	doc := parse(t, `{ a: orders { ...F } b: orders { ...F } } fragment F on Order { ...G } fragment G on Order { enrollment { id } }`)
	ctx := graphql.WithOperationContext(WithPrefetch(context.Background()), &graphql.OperationContext{Doc: doc})
	enrollment := doc.Fragments.ForName("G").SelectionSet[0].(*ast.Field)
	MarkPrefetched(ctx, enrollment)
	if prefetchedIn(ctx).has(enrollment) {
		t.Fatal("a field of a fragment standing at two places (through F) was marked prefetched")
	}

	once := parse(t, `{ orders { ...F } } fragment F on Order { ...G } fragment G on Order { enrollment { id } }`)
	ctx = graphql.WithOperationContext(WithPrefetch(context.Background()), &graphql.OperationContext{Doc: once})
	enrollment = once.Fragments.ForName("G").SelectionSet[0].(*ast.Field)
	MarkPrefetched(ctx, enrollment)
	if !prefetchedIn(ctx).has(enrollment) {
		t.Fatal("a field of a fragment standing at one place was not marked")
	}
}

func TestMarshalListOneAfterTheOther(t *testing.T) {
	doc := parse(t, `{ orders { id } }`)
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, graphql.DefaultRecover)
	ctx = graphql.WithOperationContext(ctx, &graphql.OperationContext{Doc: doc})
	var order []int
	got := MarshalList(ctx, resolved, itemsOf(doc), 3, func(ctx context.Context, i int) graphql.Marshaler {
		if idx := graphql.GetFieldContext(ctx).Index; idx == nil || *idx != i {
			t.Errorf("item %d: field context index %v", i, idx)
		}
		order = append(order, i) // no lock: the items run on this goroutine
		if i == 1 {
			panic(errors.New("boom"))
		}
		return graphql.MarshalInt(i)
	})
	if len(order) != 3 || order[0] != 0 || order[2] != 2 {
		t.Fatalf("items ran in order %v", order)
	}
	if got[1] != graphql.Null || got[0] == graphql.Null || got[2] == graphql.Null {
		t.Fatalf("the panicking item is not the only null: %v", got)
	}
	if errs := graphql.GetErrors(ctx); len(errs) != 1 {
		t.Fatalf("errors %v, want the panic's", errs)
	}
}

func TestDeferredGroupOnlyWhenDeferred(t *testing.T) {
	plain := []graphql.CollectedField{{Field: &ast.Field{Name: "id"}}}
	if g := DeferredGroup(context.Background(), plain); g.FieldSet != nil || g.Defers != nil {
		t.Fatal("a group was built for an object with nothing deferred")
	}
	deferred := []graphql.CollectedField{{Field: &ast.Field{Name: "id"}, Deferrables: []*graphql.Deferrable{{Label: "x"}}}}
	if g := DeferredGroup(context.Background(), deferred); g.FieldSet == nil || g.Defers == nil {
		t.Fatal("no group for an object with a deferred field")
	}
}

func TestObjectWritesFieldsInOrder(t *testing.T) {
	fields := []graphql.CollectedField{{Field: &ast.Field{Alias: "id", Name: "id"}}, {Field: &ast.Field{Alias: "n", Name: "number"}}}
	out := graphql.NewFieldSet(fields)
	out.Values[0], out.Values[1] = graphql.MarshalID("E1"), graphql.MarshalString(`a "quoted" <name>`)
	var b strings.Builder
	Object(fields, out).MarshalGQL(&b)
	if want := `{"id":"E1","n":"a \"quoted\" <name>"}`; b.String() != want {
		t.Fatalf("wrote %s, want %s", b.String(), want)
	}
}
