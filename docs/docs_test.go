package docs

import (
	"bytes"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/graph"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestEveryElementHasADescription checks the schema the server serves, and the file the
// reference is made from, for any type, field, argument, enum value, input field or directive
// without a description, and names each one.
func TestEveryElementHasADescription(t *testing.T) {
	served := graph.NewExecutableSchema(graph.Config{}).Schema()
	file, err := Load("..")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*ast.Schema{"served schema": served, "schema.graphqls": file} {
		if len(s.Types) < 50 {
			t.Fatalf("%s: only %d types; is it the API's schema?", name, len(s.Types))
		}
		for _, what := range Undocumented(s) {
			t.Errorf("%s: %s has no description", name, what)
		}
	}
}

// TestUndocumentedNamesEachGap: the checker finds every kind of element left undescribed, and
// nothing of GraphQL's own.
func TestUndocumentedNamesEachGap(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Name: "gaps.graphqls", Input: `
"Reads."
type Query {
  thing(id: ID!, "Described." n: Int): Thing
  "Described."
  other: Kind
}
type Thing { "Described." name: String }
enum Kind { A "Described." B }
input Filter { id: ID "Described." n: Int }
"Says so."
directive @mark(level: Int) on FIELD_DEFINITION
scalar Instant
`})
	got := Undocumented(s)
	want := []string{
		"input Filter", "input field Filter.id",
		"enum Kind", "enum value Kind.A",
		"field Query.thing", "argument Query.thing(id:)",
		"type Thing",
		"scalar Instant",
		"argument @mark(level:)",
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("undocumented:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestReferenceIsCurrent: schema.md is what the generator makes of schema.graphqls now, and it
// has a section for every type, query and mutation and shows the bounds.
func TestReferenceIsCurrent(t *testing.T) {
	s, err := Load("..")
	if err != nil {
		t.Fatal(err)
	}
	want := append(Reference(s), '\n')
	got, err := os.ReadFile("schema.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/schema.md is not current: run go generate ./...")
	}
	ref := string(got)
	for _, ty := range apiTypes(s) {
		if ty != s.Query && ty != s.Mutation && !strings.Contains(ref, `<a id="`+anchor(ty.Name)+`"></a>`+"\n### "+ty.Name+"\n") {
			t.Errorf("no section for %s", ty.Name)
		}
	}
	for _, root := range []*ast.Definition{s.Query, s.Mutation} {
		for _, f := range fields(root) {
			if !strings.Contains(ref, "### "+root.Name+"."+f.Name+"\n") {
				t.Errorf("no section for %s.%s", root.Name, f.Name)
			}
		}
	}
	for _, bound := range []string{"| `first` | Int | `20` | 1 to 100 |", "| `lines` | [[OrderLineInput](#type-orderlineinput)!]! |  | at most 50 items |",
		"| `skus` | [String!] |  | at most 100 items; each at most 64 characters |"} {
		if !strings.Contains(ref, bound) {
			t.Errorf("the reference lacks %q", bound)
		}
	}
}
