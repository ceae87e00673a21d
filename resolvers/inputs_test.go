package resolvers

import (
	"testing"

	"github.com/licensing-api/licensing-api/graph"
)

// Every map of inputs.go names a GraphQL input type of the schema, maps domain words to fields
// of that type, and never maps a word the type uses as a field name of its own (it would be
// renamed where it should pass through).
func TestInputMapsNameTheSchemasFields(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	if len(inputTypes) < 25 {
		t.Fatalf("only %d input types mapped", len(inputTypes))
	}
	seen := map[string]bool{}
	for _, in := range inputTypes {
		def := schema.Types[in.typ]
		if def == nil {
			t.Errorf("%s is not a type of the schema", in.typ)
			continue
		}
		if seen[in.typ] {
			t.Errorf("%s is mapped twice", in.typ)
		}
		seen[in.typ] = true
		fields := map[string]bool{}
		var collect func(name string)
		collect = func(name string) { // the type's fields and those of the input types it holds
			d := schema.Types[name]
			if d == nil || fields["type:"+name] {
				return
			}
			fields["type:"+name] = true
			for _, f := range d.Fields {
				fields[f.Name] = true
				collect(f.Type.Name())
			}
		}
		collect(in.typ)
		for word, field := range in.names {
			if !fields[field] {
				t.Errorf("%s maps %q to %q, which it does not have", in.typ, word, field)
			}
			if fields[word] {
				t.Errorf("%s maps %q, one of its own field names", in.typ, word)
			}
		}
	}
}
