// Command schemaref writes the Markdown schema reference from schema.graphqls; `go generate
// ./...` runs it (see docs/docs.go).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/licensing-api/licensing-api/docs"
)

func main() {
	root := flag.String("root", "..", "the repository, with schema.graphqls and schema/*.graphqls")
	out := flag.String("out", "schema.md", "the Markdown file to write")
	flag.Parse()
	s, err := docs.Load(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemaref:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, append(docs.Reference(s), '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "schemaref:", err)
		os.Exit(1)
	}
}
