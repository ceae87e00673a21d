package server

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/models"
	"github.com/vektah/gqlparser/v2/ast"
)

// The cost of a request, in points, is what it may make the database do, in the manner of
// Shopify's Admin API: an object read from the store costs 1; an object computed from its parent
// (a payload, an edge, a user error, a page's info) costs nothing; a page of a connection costs its
// `first` times what each item costs; a list costs its real maximum size times its item; scalars
// cost nothing. Fields that scan many rows carry a weight of their own, and the aggregations among
// them are limited in number per request. The requested cost is computed before the request runs,
// from the document; the actual cost while it runs, from what was really returned; the difference
// goes back to the key's bucket.

// fieldRule is what a field costs beyond the default for its type.
type fieldRule struct {
	weight      int  // points for resolving it once
	aggregation bool // an aggregation: counts against Limits.MaxAggregations
	listMax     int  // for a list that is not a page: its real maximum size
}

const (
	mutationWeight      = 10 // every mutation: a transaction with its reads and writes
	introspectionWeight = 50 // __schema or __type: computed in memory, but large
	perSKU              = -1 // a list with one item per SKU of the catalog (costModel.skus)
)

// fieldRules are the fields whose cost is not their type's default. Every list of objects that is
// not a connection must be here with its real maximum size (costModel checks it at start-up); the
// maximum sizes are the input bounds of schema.graphqls (@bound) or the catalog's.
var fieldRules = map[string]fieldRule{
	"Query.licenseSummary":                {weight: 100, aggregation: true},
	"Query.accountsWithConflicts":         {weight: 100, aggregation: true},
	"Query.licenseConflicts":              {weight: 20, aggregation: true, listMax: perSKU},
	"Query.activationStatus":              {weight: 10, aggregation: true},
	"Account.licenses":                    {weight: 5, listMax: perSKU},
	"Agreement.activeSeats":               {weight: 5},
	"Agreement.volumeDiscountEligible":    {weight: 5},
	"Enrollment.osmCanManageReservations": {weight: 1},
	"Agreement.contacts":                  {listMax: 20}, // CreateAgreementInput.contacts
	"Account.administrators":              {listMax: 50}, // CreateAccountInput.administrators
	"Order.lines":                         {listMax: 50}, // CreateOrderInput.lines
	"Order.productKeys":                   {listMax: 50}, // one per order line
	"ActivationStatus.reasons":            {listMax: 50}, // at most one per ActivationReasonCode
	"LicenseConflict.resolutions":         {listMax: 10}, // at most one per ResolutionKind and subscription
	"ConflictResolution.skus":             {listMax: perSKU},
	"UserError.field":                     {},
}

// valueTypes are computed from their parent without reading the store: they cost nothing.
var valueTypes = map[string]bool{
	"PageInfo": true, "UserError": true, "Viewer": true, "OnlineServicesManager": true, "ApiKeyLimits": true,
	"AgreementContact": true, "AccountAdministrator": true, "ActivationReason": true, "ConflictResolution": true,
	"ActivationStatus": true, "LicenseConflict": true, "AccountLicense": true, "LicenseSummaryRow": true,
	"AccountConflictSummary": true, "OrderLine": true,
}

// costModel prices documents against one schema.
type costModel struct {
	skus    int // SKUs in the catalog: the size of per-SKU lists
	schema  *ast.Schema
	charges map[*ast.FieldDefinition]charge // what resolving each field costs, for the meter
}

// charge is what resolving a field once costs: weight, plus perItem for its object or for each
// item of its list.
type charge struct {
	weight, perItem int
	list            bool
}

func newCostModel(schema *ast.Schema, skus int) (*costModel, error) {
	if skus <= 0 || skus > models.MaxSKUs {
		skus = models.MaxSKUs
	}
	m := &costModel{schema: schema, skus: skus, charges: map[*ast.FieldDefinition]charge{}}
	for _, t := range schema.Types {
		if t.Kind != ast.Object || strings.HasPrefix(t.Name, "__") {
			continue
		}
		for _, f := range t.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			rule := fieldRules[t.Name+"."+f.Name]
			isList := f.Type.Elem != nil
			if isList && !m.free(f.Type.Name()) && f.Name != "edges" && rule.listMax == 0 {
				return nil, fmt.Errorf("cost: %s.%s is a list of objects with no maximum size in fieldRules", t.Name, f.Name)
			}
			c := charge{weight: rule.weight, perItem: m.objectCost(f.Type.Name()), list: isList}
			if t.Name == "Mutation" {
				c.weight += mutationWeight
			}
			if c.weight != 0 || c.perItem != 0 {
				m.charges[f] = c
			}
		}
	}
	return m, nil
}

func (m *costModel) leaf(typeName string) bool {
	t := m.schema.Types[typeName]
	return t == nil || t.Kind == ast.Scalar || t.Kind == ast.Enum
}

// free tells a type whose objects cost nothing whatever is selected of them: a scalar, or a value
// type of scalars only (a user error, a reason). A list of them needs no maximum size.
func (m *costModel) free(typeName string) bool {
	if m.leaf(typeName) {
		return true
	}
	if m.objectCost(typeName) != 0 {
		return false
	}
	for _, f := range m.schema.Types[typeName].Fields {
		if !m.leaf(f.Type.Name()) || fieldRules[typeName+"."+f.Name].weight != 0 {
			return false
		}
	}
	return true
}

// objectCost is what one object of a type costs by itself (its fields are priced separately).
func (m *costModel) objectCost(typeName string) int {
	if m.leaf(typeName) || valueTypes[typeName] || strings.HasSuffix(typeName, "Edge") ||
		strings.HasSuffix(typeName, "Payload") || strings.HasPrefix(typeName, "__") {
		return 0
	}
	return 1
}

// price is the requested cost of an operation.
type price struct {
	cost         int
	aggregations int
	refusal      *refusal // set when the operation breaks a rule that only pricing sees
}

// priceOperation walks the validated operation with its variables. Fragments are priced once
// each; the work is bounded by Limits, which the document passed before validation.
func (m *costModel) priceOperation(op *ast.OperationDefinition, vars map[string]any) price {
	w := &costWalk{m: m, vars: vars, fragments: map[string]price{}}
	p := w.selectionSet(op.SelectionSet, 0, op.Operation == ast.Mutation)
	if w.refusal != nil {
		p.refusal = w.refusal
	}
	return p
}

type costWalk struct {
	m         *costModel
	vars      map[string]any
	fragments map[string]price
	refusal   *refusal
}

// selectionSet prices a selection; page is the page size of the connection whose fields these
// are (for its edges).
func (w *costWalk) selectionSet(set ast.SelectionSet, page int, mutationRoot bool) price {
	var p price
	for _, sel := range set {
		var q price
		switch s := sel.(type) {
		case *ast.Field:
			q = w.field(s, page, mutationRoot)
		case *ast.InlineFragment:
			q = w.selectionSet(s.SelectionSet, page, mutationRoot)
		case *ast.FragmentSpread:
			key := fmt.Sprint(s.Name, "/", page)
			cached, ok := w.fragments[key]
			if !ok && s.Definition != nil {
				cached = w.selectionSet(s.Definition.SelectionSet, page, mutationRoot)
				w.fragments[key] = cached
			}
			q = cached
		}
		p.cost = sat(p.cost + q.cost)
		p.aggregations = sat(p.aggregations + q.aggregations)
	}
	return p
}

func (w *costWalk) field(f *ast.Field, page int, mutationRoot bool) price {
	if strings.HasPrefix(f.Name, "__") {
		if f.Name == "__schema" || f.Name == "__type" {
			w.checkIntrospection(f.SelectionSet, false)
			return price{cost: introspectionWeight}
		}
		return price{} // __typename
	}
	if f.Definition == nil || f.ObjectDefinition == nil {
		return price{}
	}
	rule := fieldRules[f.ObjectDefinition.Name+"."+f.Name]
	p := price{cost: rule.weight}
	if rule.aggregation {
		p.aggregations = 1
	}
	if mutationRoot {
		p.cost += mutationWeight
	}
	named := f.Definition.Type.Name()
	if w.m.leaf(named) {
		return p
	}
	childPage := page
	if strings.HasSuffix(named, "Connection") {
		childPage = w.pageSize(f)
	}
	child := w.selectionSet(f.SelectionSet, childPage, false)
	per := price{cost: sat(w.m.objectCost(named) + child.cost), aggregations: child.aggregations}
	n := 1
	if f.Definition.Type.Elem != nil {
		n = rule.listMax
		switch {
		case f.Name == "edges":
			n = page
		case n == perSKU:
			n = w.m.skus
		}
	}
	p.cost = sat(p.cost + sat(n*per.cost))
	p.aggregations = sat(p.aggregations + sat(n*per.aggregations))
	return p
}

// pageSize is a connection's `first`, as asked or by the schema's default, within 1..100.
func (w *costWalk) pageSize(f *ast.Field) int {
	n := 0
	if a := f.Arguments.ForName("first"); a != nil {
		if v, err := a.Value.Value(w.vars); err == nil {
			n = toInt(v)
		}
	} else if d := f.Definition.Arguments.ForName("first"); d != nil && d.DefaultValue != nil {
		if v, err := d.DefaultValue.Value(nil); err == nil {
			n = toInt(v)
		}
	}
	return min(max(n, 1), 100)
}

// checkIntrospection refuses a list of types or fields reached again through a field's type: a
// schema of a hundred types would answer millions of objects to such a nesting, while the usual
// introspection query (and GraphiQL's) never needs it.
func (w *costWalk) checkIntrospection(set ast.SelectionSet, throughType bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			switch s.Name {
			case "fields", "inputFields", "interfaces", "possibleTypes", "enumValues", "types":
				if throughType && w.refusal == nil {
					w.refusal = requestRefusal(CodeIntrospectionTooDeep,
						fmt.Sprintf("introspection may not list %s of a type reached through another type's field; ask for that type with __type(name:)", s.Name))
				}
				w.checkIntrospection(s.SelectionSet, throughType)
			case "type", "ofType":
				w.checkIntrospection(s.SelectionSet, true)
			default:
				w.checkIntrospection(s.SelectionSet, throughType)
			}
		case *ast.InlineFragment:
			w.checkIntrospection(s.SelectionSet, throughType)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				w.checkIntrospection(s.Definition.SelectionSet, throughType)
			}
		}
	}
}

func toInt(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(max(min(n, 1<<31), -(1 << 31)))
	case float64:
		return int(max(min(n, 1<<31), -(1 << 31)))
	case interface{ Int64() (int64, error) }: // json.Number
		i, _ := n.Int64()
		return int(max(min(i, 1<<31), -(1 << 31)))
	}
	return 0
}

// meter adds up the actual cost of a request while it runs.
type meter struct{ points atomic.Int64 }

type meterKey struct{}

func withMeter(ctx context.Context, m *meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// costMeter is the field middleware that charges each resolved field to the request's meter.
type costMeter struct{ model *costModel }

func (costMeter) ExtensionName() string                   { return "CostMeter" }
func (costMeter) Validate(graphql.ExecutableSchema) error { return nil }

func (c costMeter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil {
		return res, err
	}
	// Most fields cost nothing: settle them before looking for the meter (a walk up the
	// context, as deep as the field is nested).
	ch, charged := c.model.charges[fc.Field.Definition]
	introspection := !charged && (fc.Field.Name == "__schema" || fc.Field.Name == "__type")
	if !charged && !introspection {
		return res, err
	}
	m, _ := ctx.Value(meterKey{}).(*meter)
	if m == nil {
		return res, err
	}
	if introspection {
		m.points.Add(introspectionWeight)
		return res, err
	}
	n := ch.weight
	if ch.list {
		if v := reflect.ValueOf(res); v.Kind() == reflect.Slice {
			n += ch.perItem * v.Len()
		}
	} else if res != nil && !reflect.ValueOf(res).IsZero() {
		n += ch.perItem
	}
	m.points.Add(int64(n))
	return res, err
}
