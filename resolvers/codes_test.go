package resolvers

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/licensing-api/licensing-api/graph/model"
)

// Every refusal code the rules can return must be a value of the public UserErrorCode enum,
// or a refusal would fail to serialize. The codes are read from the rules' source, so a new
// code without its enum value fails here.
func TestEveryRuleCodeIsInTheSchema(t *testing.T) {
	files, err := filepath.Glob("../licensing/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	decl := regexp.MustCompile(`\bCode\s*=\s*"([A-Z_]+)"`)
	seen := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			seen++
			if !model.UserErrorCode(m[1]).IsValid() {
				t.Errorf("%s declares code %s, missing from enum UserErrorCode in schema.graphqls", filepath.Base(f), m[1])
			}
		}
	}
	if seen < 20 {
		t.Fatalf("found only %d codes: is the pattern still right?", seen)
	}
}
