// Package execution holds what graph/'s generated executor calls in place of some of gqlgen's
// generic helpers, where a cheaper path gives the same response (issue 11):
//
//   - a list whose items' selection reaches no resolver is marshalled on the calling goroutine
//     (a long one shared among the cores in stretches): gqlgen starts a goroutine per item,
//     which only pays off when an item waits (on a resolver, its loader or the database); for
//     plain fields it costs a goroutine, a stack that grows and is copied, and a context per item;
//   - a resolved field whose values the request has already read for every object at its place in
//     the query (resolvers' prefetch walk, MarkPrefetched) is resolved on the calling goroutine,
//     and does not make its list concurrent: its resolver finds its value in memory;
//   - an object none of whose fields is under @defer gets an empty deferred group: gqlgen builds
//     one per object (its path, a field set and a map) whether or not the query defers anything;
//   - an object is written from its collected fields and values (Object), without the map and
//     copies gqlgen's field set makes to write one.
//
// tools/graphgen rewrites gqlgen's output to call these (and to read plain scalar fields straight
// from their structs) and writes the table of resolved fields they consult; graph/ stays
// generated (`go generate ./...`).
package execution

import (
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/stack"
	"github.com/vektah/gqlparser/v2/ast"
)

// Resolved names, by object type and field, the fields gqlgen resolves concurrently (through a
// resolver, or a method that takes a context): the ones an item may wait on.
type Resolved map[string]map[string]bool

// MarshalList marshals the n items of a list whose items are selected by sel. When sel reaches a
// resolved field not prefetched (at any depth), or defers anything, the items are marshalled
// concurrently as gqlgen does, so that their loaders batch; otherwise in one goroutine per
// processor at most (one for a short list), each item with its own field context (its index in
// error paths) and panic recovery, as gqlgen gives them.
func MarshalList(ctx context.Context, resolved Resolved, sel ast.SelectionSet, n int,
	marshal func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if n > 1 && resolved.waits(prefetchedIn(ctx), sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, 0, false, marshal)
	}
	ret := make(graphql.Array, n)
	// A long list is still shared among the processors, in one stretch of items each, so a
	// lone request uses every core (at load, the other requests would have).
	workers := min(runtime.GOMAXPROCS(0), n/itemsPerWorker)
	if workers <= 1 {
		for i := range n {
			ret[i] = item(ctx, i, marshal)
		}
		return ret
	}
	var wg sync.WaitGroup
	stretch := func(w int) {
		for i := w * n / workers; i < (w+1)*n/workers; i++ {
			ret[i] = item(ctx, i, marshal)
		}
	}
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			stack.Grow()
			defer wg.Done()
			stretch(w)
		}()
	}
	stretch(0)
	wg.Wait()
	return ret
}

// itemsPerWorker is the fewest items of a list worth a goroutine of their own.
const itemsPerWorker = 8

// item marshals item i under its own field context; a panic makes it null with an error, as in
// gqlgen's concurrent path.
func item(ctx context.Context, i int, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	index := i
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &index})
	defer func() {
		if r := recover(); r != nil {
			graphql.AddError(ctx, graphql.Recover(ctx, r))
			m = graphql.Null
		}
	}()
	return marshal(ctx, i)
}

// waits reports whether resolving sel may wait: it selects a resolved field that was not
// prefetched, a field of an interface or union (whose concrete type is not known here), or defers
// a fragment.
func (r Resolved) waits(p *prefetched, sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" {
				continue // __typename (introspection's own types are plain)
			}
			if s.ObjectDefinition == nil || s.ObjectDefinition.Kind != ast.Object ||
				(r[s.ObjectDefinition.Name][s.Name] && !p.has(s)) || r.waits(p, s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if s.Directives.ForName("defer") != nil || r.waits(p, s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Directives.ForName("defer") != nil || s.Definition == nil || r.waits(p, s.Definition.SelectionSet) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// DeferredGroup returns gqlgen's deferred group for an object whose collected fields are fields
// when one of them is deferred, and an empty group otherwise: the generated code touches the group
// only for deferred fields and processes it only when it holds some.
func DeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// Resolve resolves field i of out, an object's field resolved concurrently by gqlgen, on the
// calling goroutine when the request prefetched it (and it is not deferred); otherwise it
// schedules it as gqlgen does (FieldSet.ResolveConcurrently, whose arguments it takes). A panic
// is reported and nulls the field; the field's invalid result is counted against out, as gqlgen's
// field set does for a scheduled field.
func Resolve(ctx context.Context, field graphql.CollectedField, out *graphql.FieldSet,
	oc *graphql.OperationContext, deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool,
	resolve func(ctx context.Context) graphql.Marshaler) {
	if field.IsDeferred() || !prefetchedIn(ctx).has(field.Field) {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	v := resolveNow(ctx, oc, recoverFromPanic, resolve)
	out.Values[i] = v
	if (nonNull && v == graphql.Null) || (!nonNull && v == graphql.RequiredNull) {
		out.Invalids++
	}
}

func resolveNow(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool,
	resolve func(ctx context.Context) graphql.Marshaler) (m graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}

// prefetched is a request's set of query fields whose values were read ahead for every object at
// their place in the query.
type prefetched struct {
	fields sync.Map // *ast.Field → struct{}

	once     sync.Once
	repeated map[*ast.Field]bool // fields of fragments spread at more than one place
}

type prefetchedKey struct{}

// WithPrefetch gives a request's context an empty set of prefetched fields.
func WithPrefetch(ctx context.Context) context.Context {
	return context.WithValue(ctx, prefetchedKey{}, &prefetched{})
}

// MarkPrefetched records that the values of f were read for every object at f's place in the
// query. A field of a named fragment spread at several places is not recorded: the walk that
// read it may have reached only one of them.
func MarkPrefetched(ctx context.Context, f *ast.Field) {
	p := prefetchedIn(ctx)
	if p == nil || f == nil || !graphql.HasOperationContext(ctx) {
		return
	}
	p.once.Do(func() { p.repeated = repeatedFields(graphql.GetOperationContext(ctx).Doc) })
	if !p.repeated[f] {
		p.fields.Store(f, struct{}{})
	}
}

func prefetchedIn(ctx context.Context) *prefetched {
	p, _ := ctx.Value(prefetchedKey{}).(*prefetched)
	return p
}

func (p *prefetched) has(f *ast.Field) bool {
	if p == nil {
		return false
	}
	_, ok := p.fields.Load(f)
	return ok
}

// repeatedFields returns the fields of the named fragments that stand at more than one place in
// doc's operations (spread twice, or inside a fragment that does).
func repeatedFields(doc *ast.QueryDocument) map[*ast.Field]bool {
	out := map[*ast.Field]bool{}
	if doc == nil || len(doc.Fragments) == 0 {
		return out
	}
	// spreads[g][f]: how many times fragment f is spread in g's own selection ("" for the
	// operations), not counting inside other fragments.
	spreads := map[string]map[string]int{}
	var collect func(owner string, sel ast.SelectionSet)
	collect = func(owner string, sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				collect(owner, s.SelectionSet)
			case *ast.InlineFragment:
				collect(owner, s.SelectionSet)
			case *ast.FragmentSpread:
				if spreads[owner] == nil {
					spreads[owner] = map[string]int{}
				}
				spreads[owner][s.Name]++
			}
		}
	}
	for _, op := range doc.Operations {
		collect("", op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		collect(f.Name, f.SelectionSet)
	}
	// places(f) = spreads in the operations + Σ over fragments g of spreads of f in g × places(g),
	// capped at 2 (only "more than one" matters), memoized so nesting stays linear.
	places := map[string]int{}
	var placesOf func(f string, depth int) int
	placesOf = func(f string, depth int) int {
		if n, ok := places[f]; ok {
			return n
		}
		if depth > len(doc.Fragments) {
			return 2 // a cycle (validation refuses them): assume the worst
		}
		n := spreads[""][f]
		for g, in := range spreads {
			if g != "" && in[f] > 0 {
				n += in[f] * placesOf(g, depth+1)
			}
			if n > 1 {
				break
			}
		}
		places[f] = min(n, 2)
		return places[f]
	}
	var fields func(sel ast.SelectionSet)
	fields = func(sel ast.SelectionSet) {
		for _, s := range sel {
			switch s := s.(type) {
			case *ast.Field:
				out[s] = true
				fields(s.SelectionSet)
			case *ast.InlineFragment:
				fields(s.SelectionSet)
			}
		}
	}
	for _, f := range doc.Fragments {
		if placesOf(f.Name, 0) > 1 {
			fields(f.SelectionSet)
		}
	}
	return out
}

// Object is what an object's generated function returns in place of its field set: the same
// members in the same order, written without gqlgen's per-object map of written names and its
// copy of every collected field (about a sixth of a list page's allocations). fields are the
// object's collected fields, which CollectFields has already merged by response name.
func Object(fields []graphql.CollectedField, out *graphql.FieldSet) graphql.Marshaler {
	return object{fields: fields, values: out.Values}
}

type object struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

func (o object) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		// A response name is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*): nothing to escape.
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, o.fields[i].Alias)
		_, _ = io.WriteString(w, `":`)
		o.values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}
