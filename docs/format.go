package docs

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// anchor is the link target of a type's section.
func anchor(typeName string) string { return "type-" + strings.ToLower(typeName) }

// slug is GitHub's anchor of a heading made of letters and spaces.
func slug(title string) string { return strings.ReplaceAll(strings.ToLower(title), " ", "-") }

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// typeRef writes a type as GraphQL spells it, with the named type linked to its section.
func typeRef(t *ast.Type) string {
	if t.Elem != nil {
		s := "[" + typeRef(t.Elem) + "]"
		if t.NonNull {
			s += "!"
		}
		return s
	}
	s := t.NamedType
	if !builtinScalars[s] {
		s = fmt.Sprintf("[%s](#%s)", s, anchor(s))
	}
	if t.NonNull {
		s += "!"
	}
	return s
}

func refs(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("[%s](#%s)", n, anchor(n))
	}
	return strings.Join(out, ", ")
}

func defaultOf(v *ast.Value) string {
	if v == nil {
		return ""
	}
	return "`" + v.String() + "`"
}

// bound spells out an input's @bound directive in words.
func bound(t *ast.Type, dirs ast.DirectiveList) string {
	d := dirs.ForName("bound")
	if d == nil {
		return ""
	}
	arg := func(name string) string {
		if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
			return a.Value.Raw
		}
		return ""
	}
	var parts []string
	if n := arg("maxItems"); n != "" {
		parts = append(parts, "at most "+n+" items")
	}
	if n := arg("maxLength"); n != "" {
		if t.Elem != nil {
			parts = append(parts, "each at most "+n+" characters")
		} else {
			parts = append(parts, "at most "+n+" characters")
		}
	}
	lo, hi := arg("min"), arg("max")
	switch {
	case lo != "" && hi != "":
		parts = append(parts, lo+" to "+hi)
	case lo != "":
		parts = append(parts, "at least "+lo)
	case hi != "":
		parts = append(parts, "at most "+hi)
	}
	return strings.Join(parts, "; ")
}

func deprecation(dirs ast.DirectiveList) string {
	d := dirs.ForName("deprecated")
	if d == nil {
		return ""
	}
	reason := "No longer supported."
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return " **Deprecated:** " + reason
}

// paragraphs keeps a description's blank-line paragraphs and joins the lines within each.
func paragraphs(desc string) string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(desc), "\n\n") {
		out = append(out, strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(out, "\n\n")
}

// cell fits a description into one table cell: paragraphs become line breaks, pipes are escaped.
func cell(desc string) string {
	return strings.ReplaceAll(strings.ReplaceAll(paragraphs(desc), "\n\n", "<br><br>"), "|", `\|`)
}
