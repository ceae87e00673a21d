// Package docs checks that every element of the API's schema is described and writes the schema
// reference (schema.md) from schema.graphqls, so the reference never drifts from the contract.
package docs

//go:generate go run ./schemaref -root .. -out schema.md

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Load parses and validates the schema of the repository at root: schema.graphqls and the
// domain files of schema/ (the list gqlgen.yml gives).
func Load(root string) (*ast.Schema, error) {
	files, err := filepath.Glob(filepath.Join(root, "schema", "*.graphqls"))
	if err != nil {
		return nil, err
	}
	var sources []*ast.Source
	for _, f := range append([]string{filepath.Join(root, "schema.graphqls")}, files...) {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, f)
		sources = append(sources, &ast.Source{Name: filepath.ToSlash(rel), Input: string(src)})
	}
	s, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		return nil, gerr
	}
	return s, nil
}

// Undocumented names every element of s defined by the API (not GraphQL's built-ins or
// introspection) that has no description: types, fields, arguments, enum values, input fields,
// directives and their arguments.
func Undocumented(s *ast.Schema) []string {
	var out []string
	missing := func(desc, what string) {
		if strings.TrimSpace(desc) == "" {
			out = append(out, what)
		}
	}
	for _, t := range apiTypes(s) {
		missing(t.Description, strings.ToLower(kindName(t.Kind))+" "+t.Name)
		for _, f := range fields(t) {
			what := "field "
			if t.Kind == ast.InputObject {
				what = "input field "
			}
			missing(f.Description, what+t.Name+"."+f.Name)
			for _, a := range f.Arguments {
				missing(a.Description, "argument "+t.Name+"."+f.Name+"("+a.Name+":)")
			}
		}
		for _, v := range t.EnumValues {
			missing(v.Description, "enum value "+t.Name+"."+v.Name)
		}
	}
	for _, d := range apiDirectives(s) {
		missing(d.Description, "directive @"+d.Name)
		for _, a := range d.Arguments {
			missing(a.Description, "argument @"+d.Name+"("+a.Name+":)")
		}
	}
	return out
}

// apiTypes are the schema's own types, by name.
func apiTypes(s *ast.Schema) []*ast.Definition {
	var out []*ast.Definition
	for _, t := range s.Types {
		if !t.BuiltIn {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// fields drops the introspection fields (__schema, __type) that the parser adds to Query.
func fields(t *ast.Definition) ast.FieldList {
	var out ast.FieldList
	for _, f := range t.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	return out
}

func apiDirectives(s *ast.Schema) []*ast.DirectiveDefinition {
	var out []*ast.DirectiveDefinition
	for _, d := range s.Directives {
		if d.Position == nil || d.Position.Src == nil || !d.Position.Src.BuiltIn {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func kindName(k ast.DefinitionKind) string {
	switch k {
	case ast.Object:
		return "Type"
	case ast.InputObject:
		return "Input"
	case ast.Interface:
		return "Interface"
	case ast.Union:
		return "Union"
	case ast.Enum:
		return "Enum"
	case ast.Scalar:
		return "Scalar"
	}
	return fmt.Sprint(k)
}
