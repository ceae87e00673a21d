package docs

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Reference writes the schema reference in Markdown: queries and mutations one section each,
// then every type by kind and name, with each input's @bound spelled out.
func Reference(s *ast.Schema) []byte {
	var b bytes.Buffer
	b.WriteString("# Schema reference\n\n")
	b.WriteString("<!-- Generated from schema.graphqls and schema/*.graphqls by `go generate ./...` (docs/schemaref). Do not edit. -->\n\n")
	b.WriteString("Generated from [`schema.graphqls`](../schema.graphqls) and [`schema/`](../schema), the API's contract. " +
		"Every input's bound (`@bound`) is shown next to it; rule IDs such as R-ORD-2 refer to the licensing rulebook.\n\n")
	if s.Description != "" {
		b.WriteString(paragraphs(s.Description) + "\n\n")
	}
	groups := groupTypes(s)
	b.WriteString("## Contents\n\n- [Queries](#queries)\n- [Mutations](#mutations)\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "- [%s](#%s)\n", g.title, slug(g.title))
	}
	b.WriteString("- [Directives](#directives)\n\n")
	writeOperations(&b, "Queries", s.Query)
	writeOperations(&b, "Mutations", s.Mutation)
	for _, g := range groups {
		fmt.Fprintf(&b, "## %s\n\n", g.title)
		for _, t := range g.types {
			writeType(&b, s, t)
		}
	}
	writeDirectives(&b, s)
	return bytes.TrimRight(b.Bytes(), "\n")
}

type typeGroup struct {
	title string
	types []*ast.Definition
}

// groupTypes sorts the schema's types, Query and Mutation aside, into one group per kind.
func groupTypes(s *ast.Schema) []typeGroup {
	order := []struct {
		kind  ast.DefinitionKind
		title string
	}{{ast.Object, "Objects"}, {ast.Interface, "Interfaces"}, {ast.Union, "Unions"},
		{ast.InputObject, "Input objects"}, {ast.Enum, "Enums"}, {ast.Scalar, "Scalars"}}
	var out []typeGroup
	for _, o := range order {
		g := typeGroup{title: o.title}
		for _, t := range apiTypes(s) {
			if t.Kind == o.kind && t != s.Query && t != s.Mutation && t != s.Subscription {
				g.types = append(g.types, t)
			}
		}
		if len(g.types) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// writeOperations gives each root field its own section: what it does, its arguments and what it
// returns.
func writeOperations(b *bytes.Buffer, title string, root *ast.Definition) {
	fmt.Fprintf(b, "## %s\n\n", title)
	if root == nil {
		b.WriteString("None.\n\n")
		return
	}
	b.WriteString(paragraphs(root.Description) + "\n\n")
	prefix := strings.ToLower(root.Name)
	for _, f := range fields(root) {
		fmt.Fprintf(b, "<a id=\"%s-%s\"></a>\n### %s.%s\n\n", prefix, strings.ToLower(f.Name), root.Name, f.Name)
		b.WriteString(paragraphs(f.Description) + deprecation(f.Directives) + "\n\n")
		fmt.Fprintf(b, "Returns %s.\n\n", typeRef(f.Type))
		writeArguments(b, f.Arguments)
	}
}

func writeArguments(b *bytes.Buffer, args ast.ArgumentDefinitionList) {
	if len(args) == 0 {
		return
	}
	b.WriteString("| argument | type | default | bound | description |\n| --- | --- | --- | --- | --- |\n")
	for _, a := range args {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", a.Name, typeRef(a.Type), defaultOf(a.DefaultValue),
			bound(a.Type, a.Directives), cell(a.Description))
	}
	b.WriteString("\n")
}

func writeType(b *bytes.Buffer, s *ast.Schema, t *ast.Definition) {
	fmt.Fprintf(b, "<a id=\"%s\"></a>\n### %s\n\n", anchor(t.Name), t.Name)
	b.WriteString(paragraphs(t.Description) + "\n\n")
	if len(t.Interfaces) > 0 {
		fmt.Fprintf(b, "Implements %s.\n\n", refs(t.Interfaces))
	}
	if t.Kind == ast.Interface || t.Kind == ast.Union {
		var names []string
		for _, p := range s.PossibleTypes[t.Name] {
			names = append(names, p.Name)
		}
		sort.Strings(names)
		fmt.Fprintf(b, "Implemented by %s.\n\n", refs(names))
	}
	switch t.Kind {
	case ast.Object, ast.Interface:
		b.WriteString("| field | type | description |\n| --- | --- | --- |\n")
		for _, f := range fields(t) {
			fmt.Fprintf(b, "| `%s` | %s | %s |\n", f.Name, typeRef(f.Type), cell(f.Description)+argumentsCell(f.Arguments)+cell(deprecation(f.Directives)))
		}
	case ast.InputObject:
		b.WriteString("| input field | type | default | bound | description |\n| --- | --- | --- | --- | --- |\n")
		for _, f := range t.Fields {
			fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s |\n", f.Name, typeRef(f.Type), defaultOf(f.DefaultValue), bound(f.Type, f.Directives), cell(f.Description))
		}
	case ast.Enum:
		b.WriteString("| value | description |\n| --- | --- |\n")
		for _, v := range t.EnumValues {
			fmt.Fprintf(b, "| `%s` | %s |\n", v.Name, cell(v.Description)+cell(deprecation(v.Directives)))
		}
	}
	b.WriteString("\n")
}

// argumentsCell lists a field's arguments inside its table cell.
func argumentsCell(args ast.ArgumentDefinitionList) string {
	var parts []string
	for _, a := range args {
		p := fmt.Sprintf("`%s`: %s", a.Name, typeRef(a.Type))
		if d := defaultOf(a.DefaultValue); d != "" {
			p += " = " + d
		}
		if bd := bound(a.Type, a.Directives); bd != "" {
			p += " (" + bd + ")"
		}
		parts = append(parts, p+". "+cell(a.Description))
	}
	if len(parts) == 0 {
		return ""
	}
	return "<br>Arguments:<br>" + strings.Join(parts, "<br>")
}

func writeDirectives(b *bytes.Buffer, s *ast.Schema) {
	b.WriteString("## Directives\n\n")
	for _, d := range apiDirectives(s) {
		var locs []string
		for _, l := range d.Locations {
			locs = append(locs, "`"+string(l)+"`")
		}
		fmt.Fprintf(b, "<a id=\"directive-%s\"></a>\n### @%s\n\n%s\n\nAllowed on: %s.\n\n", strings.ToLower(d.Name), d.Name,
			paragraphs(d.Description), strings.Join(locs, ", "))
		writeArguments(b, d.Arguments)
	}
}
