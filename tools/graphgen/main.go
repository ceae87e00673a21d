// Command graphgen generates graph/: it runs gqlgen on gqlgen.yml, then rewrites the generated
// executor to call package execution where a cheaper path gives the same response (lists of
// plain or prefetched items without a goroutine each, prefetched fields resolved in place,
// objects written without gqlgen's per-object map, deferred groups only where something is
// deferred), reads plain scalar fields straight from their structs, writes enums without
// allocating, and writes the table of resolved fields execution consults. Run through
// `go generate ./...`; CI checks graph/ is current.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
)

// rewrites are the generated calls replaced; each must be found (a gqlgen upgrade that changes
// them fails the generation instead of silently losing the rewrite), and where "each" is set,
// exactly as many times as that other text (one per generated object function, say).
var rewrites = []struct{ old, new, each string }{
	{"graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(",
		"execution.MarshalList(ctx, ResolvedFields, sel, len(v), func(", ""},
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,",
		"execution.Resolve(ctx, field, out, ec.OperationContext, &deferred, i,", ""},
	{"\treturn out\n}\n", "\treturn execution.Object(fields, out)\n}\n", "out := graphql.NewFieldSet(fields)"},
	{"deferred := graphql.NewDeferredGroup(ctx)",
		"deferred := execution.DeferredGroup(ctx, fields)", "out := graphql.NewFieldSet(fields)"},
}

func main() {
	log.SetFlags(0)
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		log.Fatalf("graphgen: %v", err)
	}
	table := &resolvedTable{}
	if err := api.Generate(cfg, api.AddPlugin(table)); err != nil {
		log.Fatalf("graphgen: gqlgen: %v", err)
	}
	if err := rewrite(cfg.Exec.Filename); err != nil {
		log.Fatalf("graphgen: %v", err)
	}
	if err := rewriteEnums(cfg.Model.Filename); err != nil {
		log.Fatalf("graphgen: %v", err)
	}
	out := filepath.Join(filepath.Dir(cfg.Exec.Filename), "resolved_fields.go")
	if err := os.WriteFile(out, table.source(cfg.Exec.Package), 0o644); err != nil {
		log.Fatalf("graphgen: %v", err)
	}
}

// rewrite replaces the calls of rewrites in the executor, reads plain fields directly
// (plainFields) and imports package execution.
func rewrite(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		n := bytes.Count(src, []byte(r.old))
		if n == 0 || (r.each != "" && n != bytes.Count(src, []byte(r.each))) {
			return fmt.Errorf("%s: %q found %d times: gqlgen's output changed, update tools/graphgen", path, r.old, n)
		}
		src = bytes.ReplaceAll(src, []byte(r.old), []byte(r.new))
	}
	if src, err = plainFields(src); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeImportingExecution(path, src)
}

// writeImportingExecution adds package execution to src's imports, formats it and writes it to
// path.
func writeImportingExecution(path string, src []byte) error {
	const anchor = "import (\n"
	if !bytes.Contains(src, []byte(anchor)) {
		return fmt.Errorf("%s: no import block", path)
	}
	src = bytes.Replace(src, []byte(anchor), []byte(anchor+"\t\"github.com/licensing-api/licensing-api/execution\"\n"), 1)
	src, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, src, 0o644)
}

// enumMarshal is the body of every generated enum's MarshalGQL: a quote through fmt, three
// allocations per value written (a list page writes a few hundred).
const enumMarshal = "_, _ = fmt.Fprint(w, strconv.Quote(e.String()))"

// rewriteEnums points every enum's MarshalGQL in the models file at execution.WriteEnum, which
// writes the same bytes without allocating.
func rewriteEnums(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if n := bytes.Count(src, []byte(enumMarshal)); n == 0 || n != bytes.Count(src, []byte(") MarshalGQL(w io.Writer) {")) {
		return fmt.Errorf("%s: %q found %d times, not once per MarshalGQL: gqlgen's output changed, update tools/graphgen", path, enumMarshal, n)
	}
	src = bytes.ReplaceAll(src, []byte(enumMarshal), []byte("execution.WriteEnum(w, e.String())"))
	return writeImportingExecution(path, src)
}

// A plain field is a struct field of a scalar (String, Int, Boolean, ID) or enum type, with no
// resolver, argument or directive. gqlgen resolves each through the whole field machinery: a
// field context, the field middleware, a recover, its value boxed and unboxed; for a value that
// cannot fail to marshal, that machinery changes nothing in the response and costs about a
// fifth of a list page's CPU (issue 11). Such a field is marshalled from the struct directly.
// Which fields qualify is decided from gqlgen's own code for them: a field function that only
// reads obj.X with no middleware, and a marshaller of one of the shapes below.
var (
	fieldFunc = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\*[\w.]+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.fieldContext\w+\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return obj\.(\w+), nil
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{
			return ec\.([^(\s]+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}
`)
	marshalFunc = regexp.MustCompile(`(?ms)^func \(ec \*executionContext\) (marshal[^(\s]+)\(ctx context\.Context, sel ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{\n(.*?)\n\}\n`)
	// Marshaller bodies (white space folded) that never report an error nor read the field
	// context: a built-in scalar that is never null for its Go value, its nullable form, an enum.
	safeMarshal = regexp.MustCompile(`^(?:` +
		`_ = sel res := graphql\.Marshal(?:String|Int|Boolean|ID)\(v\) if res == graphql\.Null \{ graphql\.AddInvalidNullFromMarshaler\(ctx, "\w+!"\) \} return res` +
		`|if v == nil \{ return graphql\.Null \} _ = sel _ = ctx res := graphql\.Marshal(?:String|Int|Boolean|ID)\(\*v\) return res` +
		`|return v` +
		`|if v == nil \{ return graphql\.Null \} return v` +
		`)$`)
)

// plainFields rewrites the field functions of plain fields to marshal obj's field directly.
func plainFields(src []byte) ([]byte, error) {
	safe := map[string]bool{}
	for _, m := range marshalFunc.FindAllSubmatch(src, -1) {
		if safeMarshal.Match(bytes.Join(bytes.Fields(m[2]), []byte(" "))) {
			safe[string(m[1])] = true
		}
	}
	n := 0
	src = fieldFunc.ReplaceAllFunc(src, func(fn []byte) []byte {
		m := fieldFunc.FindSubmatch(fn)
		name, obj, goField, marshal := m[1], m[2], m[3], m[4]
		if !safe[string(marshal)] {
			return fn
		}
		n++
		return []byte(fmt.Sprintf("func (ec *executionContext) %s(ctx context.Context, field graphql.CollectedField, obj %s) (ret graphql.Marshaler) {\n"+
			"\treturn ec.%s(ctx, field.Selections, obj.%s) // a plain field (tools/graphgen)\n}\n", name, obj, marshal, goField))
	})
	if n == 0 {
		return nil, fmt.Errorf("no plain field found: gqlgen's output changed, update tools/graphgen")
	}
	return src, nil
}

// resolvedTable is a gqlgen plugin that records, from gqlgen's own analysis, which fields of
// which objects are resolved concurrently.
type resolvedTable struct{ fields map[string][]string }

func (*resolvedTable) Name() string { return "resolvedfields" }

func (t *resolvedTable) GenerateCode(data *codegen.Data) error {
	t.fields = map[string][]string{}
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if f.IsConcurrent() {
				t.fields[o.Name] = append(t.fields[o.Name], f.Name)
			}
		}
	}
	return nil
}

func (t *resolvedTable) source(pkg string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by tools/graphgen, DO NOT EDIT.\n\npackage %s\n\n", pkg)
	b.WriteString("import \"github.com/licensing-api/licensing-api/execution\"\n\n")
	b.WriteString("// ResolvedFields are the fields gqlgen resolves concurrently, by object: the ones an item may wait on (execution.MarshalList).\n")
	b.WriteString("var ResolvedFields = execution.Resolved{\n")
	types := make([]string, 0, len(t.fields))
	for typ := range t.fields {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		fmt.Fprintf(&b, "\t%s: {", strconv.Quote(typ))
		names := t.fields[typ]
		sort.Strings(names)
		for i, n := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s: true", strconv.Quote(n))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		panic(err) // the table above is always valid Go
	}
	return src
}
