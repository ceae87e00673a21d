package licensing

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ruleIDs are the IDs a deciding function's doc comment starts with: "// R-SUB-3: ..." or, for a
// function that decides two rules, "// R-LIC-4, R-LIC-7: ...".
var ruleIDs = regexp.MustCompile(`^(R-[A-Z]+-\d+(?:, R-[A-Z]+-\d+)*):`)

// Each rule is decided by one exported function whose doc comment starts with the rule's ID,
// and a test of this package names the ID, so a rule ID found with grep leads to its one
// deciding function and to its tests. Other comments may mention an ID, but never start a
// function's doc with it.
func TestEachRuleHasOneDecidingFunction(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	decidedBy := map[string]string{}
	for _, f := range pkgs["licensing"].Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Doc == nil {
				continue
			}
			m := ruleIDs.FindStringSubmatch(strings.TrimSpace(strings.TrimPrefix(fn.Doc.List[0].Text, "//")))
			if m == nil {
				continue
			}
			at := fset.Position(fn.Pos())
			where := filepath.Base(at.Filename) + ": " + fn.Name.Name
			if !fn.Name.IsExported() {
				t.Errorf("%s decides %s but is not exported", where, m[1])
			}
			for _, id := range strings.Split(m[1], ", ") {
				if other, ok := decidedBy[id]; ok {
					t.Errorf("%s is decided twice: by %s and by %s", id, other, where)
				}
				decidedBy[id] = where
			}
		}
	}
	if len(decidedBy) < 40 {
		t.Fatalf("only %d rules have a deciding function: is the pattern still right?", len(decidedBy))
	}
	tests, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var src strings.Builder
	for _, name := range tests {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for id, where := range decidedBy {
		if !regexp.MustCompile(`"(?:[^"]*_)?` + id + `[_"]`).MatchString(src.String()) {
			t.Errorf("no test of this package names %s (decided by %s)", id, where)
		}
	}
}
