package resolvers

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"
)

// Resolvers authenticate, call models/ and map; models/ asks licensing/ for every decision. So a
// resolver may use licensing's types and constants (converting a GraphQL enum, say) but never
// call one of its functions: the call would bypass the one path resolver -> models -> rule.
func TestResolversCallNoLicensingFunction(t *testing.T) {
	fset := token.NewFileSet()
	pkg, err := importer.ForCompiler(fset, "source", nil).Import("github.com/licensing-api/licensing-api/licensing")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "licensing" {
				return true
			}
			calls++
			if _, isFunc := pkg.Scope().Lookup(sel.Sel.Name).(*types.Func); isFunc {
				t.Errorf("%s: a resolver calls licensing.%s; ask models/ for the decision", fset.Position(call.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("no licensing.X(...) found at all: is the pattern still right?")
	}
}
