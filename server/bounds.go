package server

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Every argument and input field of the schema that is a String, an ID or a list carries @bound
// (schema.graphqls explains it; an Int is bounded by its 32 bits and its field's rule). checkBounds enforces them for a whole operation before
// any resolver runs, so a value out of bounds never reaches the store and a mutation document is
// refused as a whole.

type bound struct {
	maxLength, maxItems int
	min, max            *int64
}

func boundOf(dirs ast.DirectiveList) (bound, bool) {
	d := dirs.ForName("bound")
	if d == nil {
		return bound{}, false
	}
	var b bound
	for _, a := range d.Arguments {
		v, err := strconv.ParseInt(a.Value.Raw, 10, 64)
		if err != nil {
			continue
		}
		switch a.Name {
		case "maxLength":
			b.maxLength = int(v)
		case "maxItems":
			b.maxItems = int(v)
		case "min":
			b.min = &v
		case "max":
			b.max = &v
		}
	}
	return b, true
}

type boundsCheck struct {
	schema *ast.Schema
	vars   map[string]any
	limit  int
	seen   map[string]bool
	errs   gqlerror.List
}

// checkBounds returns one error per value out of bounds, at most limit of them.
func checkBounds(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any, limit int) gqlerror.List {
	c := &boundsCheck{schema: schema, vars: vars, limit: limit, seen: map[string]bool{}}
	c.selectionSet(op.SelectionSet)
	return c.errs
}

func (c *boundsCheck) selectionSet(set ast.SelectionSet) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil {
				for _, a := range s.Arguments {
					def := s.Definition.Arguments.ForName(a.Name)
					if def == nil {
						continue
					}
					v, err := a.Value.Value(c.vars)
					if err == nil {
						c.value(v, def.Type, def.Directives, []string{a.Name})
					}
				}
			}
			c.selectionSet(s.SelectionSet)
		case *ast.InlineFragment:
			c.selectionSet(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil && !c.seen[s.Name] {
				c.seen[s.Name] = true // a fragment's arguments are the same wherever it is spread
				c.selectionSet(s.Definition.SelectionSet)
			}
		}
	}
}

func (c *boundsCheck) fail(path []string, format string, args ...any) {
	if len(c.errs) >= c.limit {
		return
	}
	err := codedError(CodeBadRequest, fmt.Sprintf("%s %s", strings.Join(path, "."), fmt.Sprintf(format, args...)))
	err.Extensions["field"] = append([]string(nil), path...)
	c.errs = append(c.errs, err)
}

// value checks v against the bound of its position and walks into lists and input objects.
func (c *boundsCheck) value(v any, typ *ast.Type, dirs ast.DirectiveList, path []string) {
	if v == nil || len(c.errs) >= c.limit {
		return
	}
	b, _ := boundOf(dirs)
	if typ.Elem != nil {
		items, ok := v.([]any)
		if !ok { // a single value where a list is expected is coerced to a list of one
			items = []any{v}
		}
		if b.maxItems > 0 && len(items) > b.maxItems {
			c.fail(path, "has %d items; at most %d are allowed", len(items), b.maxItems)
			return
		}
		for i, item := range items {
			c.value(item, typ.Elem, itemBound(b), append(path, strconv.Itoa(i)))
		}
		return
	}
	switch x := v.(type) {
	case string:
		if b.maxLength > 0 && len(x) > b.maxLength && utf8.RuneCountInString(x) > b.maxLength {
			c.fail(path, "is longer than %d characters", b.maxLength)
		}
	case map[string]any:
		def := c.schema.Types[typ.Name()]
		if def == nil || def.Kind != ast.InputObject {
			return
		}
		for _, f := range def.Fields {
			c.value(x[f.Name], f.Type, f.Directives, append(path, f.Name))
		}
	default:
		n, ok := asInt64(v)
		if !ok {
			return
		}
		if b.min != nil && n < *b.min {
			c.fail(path, "must be at least %d", *b.min)
		}
		if b.max != nil && n > *b.max {
			c.fail(path, "must be at most %d", *b.max)
		}
	}
}

// itemBound carries a list's maxLength to its string items.
func itemBound(b bound) ast.DirectiveList {
	if b.maxLength == 0 {
		return nil
	}
	return ast.DirectiveList{{Name: "bound", Arguments: ast.ArgumentList{{Name: "maxLength", Value: &ast.Value{Raw: strconv.Itoa(b.maxLength), Kind: ast.IntValue}}}}}
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case float64:
		return int64(n), true
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// unboundedInputs lists the arguments and input fields of the schema that lack a @bound though
// their type needs one (String, ID or a list): the schema test keeps this empty.
func unboundedInputs(schema *ast.Schema) []string {
	var out []string
	needs := func(t *ast.Type) bool {
		if t.Elem != nil {
			return true
		}
		switch t.Name() {
		case "String", "ID":
			return true
		}
		return false
	}
	for _, t := range schema.Types {
		if strings.HasPrefix(t.Name, "__") {
			continue
		}
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection, bounded by gqlgen
			}
			if t.Kind == ast.InputObject && needs(f.Type) {
				if _, ok := boundOf(f.Directives); !ok {
					out = append(out, t.Name+"."+f.Name)
				}
			}
			for _, a := range f.Arguments {
				if needs(a.Type) {
					if _, ok := boundOf(a.Directives); !ok {
						out = append(out, t.Name+"."+f.Name+"("+a.Name+")")
					}
				}
			}
		}
	}
	return out
}
