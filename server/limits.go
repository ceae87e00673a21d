package server

import (
	"fmt"
	"reflect"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/vektah/gqlparser/v2/ast"
)

// Limits bound what one request may ask for, so that no request (with or without a key) can take
// the server down and every key gets a fair share. The README's "Limits" section lists each one
// with its default, its setting and the error a client gets; keep the two together.
type Limits struct {
	MaxBodyBytes       int64         // HTTP body; 413 REQUEST_TOO_LARGE
	MaxQueryBytes      int           // query text; 413 QUERY_TOO_LARGE
	MaxTokens          int           // lexer tokens of the query text; TOO_MANY_TOKENS
	MaxFields          int           // fields, with fragments expanded; TOO_MANY_FIELDS
	MaxAliases         int           // aliased fields, with fragments expanded; TOO_MANY_ALIASES
	MaxFragmentSpreads int           // fragment spreads, expanded; TOO_MANY_FRAGMENTS
	MaxDirectives      int           // directives, with fragments expanded; TOO_MANY_DIRECTIVES
	MaxDepth           int           // nesting of fields; QUERY_TOO_DEEP
	MaxRepeated        int           // fields of one response name in one selection; REPEATED_FIELDS
	MaxVariableValues  int           // JSON values in the variables; VARIABLES_TOO_LARGE
	MaxVariableString  int           // bytes of one JSON string in the variables; VARIABLES_TOO_LARGE
	MaxErrors          int           // validation errors reported for one document
	MaxAggregations    int           // aggregation fields (see cost.go); TOO_MANY_AGGREGATIONS
	MaxCost            int           // requested cost of one request; MAX_COST_EXCEEDED
	RequestTimeout     time.Duration // deadline of a request without aggregations
	AggregationTimeout time.Duration // deadline of a request with aggregations
	KeyDefaults        models.KeyLimits
}

// DefaultLimits are the limits of a server started without settings.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:       1 << 20,
		MaxQueryBytes:      32 << 10,
		MaxTokens:          5000,
		MaxFields:          500,
		MaxAliases:         50,
		MaxFragmentSpreads: 100,
		MaxDirectives:      50,
		MaxDepth:           15,
		MaxRepeated:        10,
		MaxVariableValues:  10000,
		MaxVariableString:  16 << 10,
		MaxErrors:          10,
		MaxAggregations:    5,
		MaxCost:            5000,
		RequestTimeout:     10 * time.Second,
		AggregationTimeout: 30 * time.Second,
		KeyDefaults:        models.KeyLimits{BucketSize: 10000, RestoreRate: 500, MaxInFlight: 8},
	}
}

// orDefaults fills every zero limit from DefaultLimits: each number (counts, sizes, timeouts) not
// above zero takes its default, so a limit added to Limits needs no line here.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	v, def := reflect.ValueOf(&l).Elem(), reflect.ValueOf(d)
	for i := range v.NumField() {
		if f := v.Field(i); f.CanInt() && f.Int() <= 0 {
			f.Set(def.Field(i))
		}
	}
	l.KeyDefaults = l.KeyDefaults.Or(d.KeyDefaults)
	return l
}

// shape is what a document asks for, counted with every fragment spread expanded where it is
// used. Counts saturate at saturated, so a fragment bomb measures huge instead of overflowing.
type shape struct {
	fields, aliases, spreads, directives, depth int
	// repeated is the most fields of one response name in one selection set, with fragments
	// expanded: validation compares every pair of them (OverlappingFieldsCanBeMerged), so many
	// of them cost quadratic time and memory even when the other counts are small.
	repeated     int
	repeatedName string
	names        map[string]int // response names at this level (for the parent's count)
}

const saturated = 1 << 40

func sat(n int) int { return min(n, saturated) }

func (s *shape) add(o shape, times int) {
	s.fields = sat(s.fields + sat(o.fields*times))
	s.aliases = sat(s.aliases + sat(o.aliases*times))
	s.spreads = sat(s.spreads + sat(o.spreads*times))
	s.directives = sat(s.directives + sat(o.directives*times))
}

// measurer measures a parsed, not yet validated document in one pass: each fragment is measured
// once and reused wherever it is spread, so the work is linear in the document's size however
// much the fragments would expand. (Validation, which may be quadratic or worse in the expanded
// size, only ever sees documents that passed these limits.)
type measurer struct {
	fragments map[string]*ast.FragmentDefinition
	done      map[string]shape
	visiting  map[string]bool
}

// measure returns the shape of the whole document: every operation, and every fragment once on
// its own (validation walks those too).
func measure(doc *ast.QueryDocument) shape {
	m := &measurer{fragments: map[string]*ast.FragmentDefinition{}, done: map[string]shape{}, visiting: map[string]bool{}}
	for _, f := range doc.Fragments {
		m.fragments[f.Name] = f
	}
	var total shape
	for _, op := range doc.Operations {
		s := m.selectionSet(op.SelectionSet)
		s.directives = sat(s.directives + len(op.Directives))
		for _, v := range op.VariableDefinitions {
			s.directives = sat(s.directives + len(v.Directives))
		}
		total.add(s, 1)
		total.depth = max(total.depth, s.depth)
		total.keepRepeated(s)
	}
	for _, f := range doc.Fragments {
		s := m.fragment(f.Name)
		total.add(s, 1)
		total.depth = max(total.depth, s.depth)
		total.keepRepeated(s)
	}
	return total
}

// keepRepeated keeps the larger count of repeated response names of s and o.
func (s *shape) keepRepeated(o shape) {
	if o.repeated > s.repeated {
		s.repeated, s.repeatedName = o.repeated, o.repeatedName
	}
}

func (m *measurer) fragment(name string) shape {
	if s, ok := m.done[name]; ok {
		return s
	}
	def := m.fragments[name]
	if def == nil || m.visiting[name] {
		return shape{} // unknown or cyclic: validation reports it
	}
	m.visiting[name] = true
	s := m.selectionSet(def.SelectionSet)
	s.directives = sat(s.directives + len(def.Directives))
	delete(m.visiting, name)
	m.done[name] = s
	return s
}

func (m *measurer) selectionSet(set ast.SelectionSet) shape {
	s := shape{names: map[string]int{}}
	for _, sel := range set {
		switch f := sel.(type) {
		case *ast.Field:
			child := m.selectionSet(f.SelectionSet)
			s.fields = sat(s.fields + 1)
			name := f.Name
			if f.Alias != "" && f.Alias != f.Name {
				s.aliases = sat(s.aliases + 1)
				name = f.Alias
			}
			s.names[name] = sat(s.names[name] + 1)
			s.directives = sat(s.directives + len(f.Directives))
			s.add(child, 1)
			s.depth = max(s.depth, child.depth+1)
			s.keepRepeated(child)
		case *ast.InlineFragment:
			child := m.selectionSet(f.SelectionSet)
			s.directives = sat(s.directives + len(f.Directives))
			s.add(child, 1)
			s.depth = max(s.depth, child.depth)
			s.merge(child)
		case *ast.FragmentSpread:
			child := m.fragment(f.Name)
			s.spreads = sat(s.spreads + 1)
			s.directives = sat(s.directives + len(f.Directives))
			s.add(child, 1)
			s.depth = max(s.depth, child.depth)
			s.merge(child)
		}
	}
	for name, n := range s.names {
		if n > s.repeated {
			s.repeated, s.repeatedName = n, name
		}
	}
	return s
}

// merge adds the response names of a fragment spread or inline fragment to this level: their
// fields are fields of this selection set. Their own nested counts are kept too.
func (s *shape) merge(o shape) {
	s.keepRepeated(o)
	for name, n := range o.names {
		s.names[name] = sat(s.names[name] + n)
	}
}

// check refuses a shape over the limits, naming the first limit it exceeds.
func (l Limits) check(s shape) *refusal {
	for _, c := range []struct {
		n, max int
		code   string
		what   string
	}{
		{s.spreads, l.MaxFragmentSpreads, CodeTooManyFragments, "fragment spreads (counted where each is used)"},
		{s.fields, l.MaxFields, CodeTooManyFields, "fields (with fragments expanded)"},
		{s.aliases, l.MaxAliases, CodeTooManyAliases, "aliases"},
		{s.directives, l.MaxDirectives, CodeTooManyDirectives, "directives"},
		{s.depth, l.MaxDepth, CodeQueryTooDeep, "levels of nesting"},
		{s.repeated, l.MaxRepeated, CodeRepeatedFields, fmt.Sprintf("fields answering as %q in one selection", s.repeatedName)},
	} {
		if c.n > c.max {
			n := fmt.Sprint(c.n)
			if c.n >= saturated {
				n = "too many"
			}
			return requestRefusal(c.code, fmt.Sprintf("the document has %s %s; the limit is %d", n, c.what, c.max))
		}
	}
	return nil
}
