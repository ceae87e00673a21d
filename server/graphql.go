package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/licensing-api/licensing-api/stack"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// endpoint serves GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): GET for
// queries, POST for everything. Each request goes through the checks below in order, each cheaper
// than what it protects, and is refused at the first it fails:
//
//  1. method and media types; the key (authenticate, before this); the key's requests in flight;
//  2. the body and query text sizes; parsing with a token limit; one linear measure of the parsed
//     document (fields, aliases, fragment spreads expanded, directives, depth);
//  3. validation, reporting a bounded number of errors;
//  4. the role (mutations need a writing key), the requested cost and aggregations, the input bounds;
//  5. the key's cost bucket;
//  6. execution under a deadline, with the actual cost metered and the rest refunded.
type endpoint struct {
	exec     *executor.Executor
	schema   *ast.Schema
	cache    *lru.LRU[*ast.QueryDocument] // validated documents by query text (shared with exec)
	limits   Limits
	costs    *costModel
	throttle *throttle
	log      *slog.Logger
}

func newEndpoint(es graphql.ExecutableSchema, limits Limits, skus int, now func() time.Time, log *slog.Logger) (*endpoint, error) {
	costs, err := newCostModel(es.Schema(), skus)
	if err != nil {
		return nil, err
	}
	e := &endpoint{
		exec: executor.New(es), schema: es.Schema(), cache: lru.New[*ast.QueryDocument](256),
		limits: limits, costs: costs, throttle: newThrottle(now), log: log,
	}
	e.exec.SetQueryCache(e.cache)
	e.exec.SetParserTokenLimit(limits.MaxTokens)
	e.exec.SetDefaultRulesFn(func() *rules.Rules { return boundedRules(limits.MaxErrors) })
	e.exec.SetErrorPresenter(resolvers.PresentError)
	e.exec.SetRecoverFunc(resolvers.RecoverPanic)
	e.exec.Use(extension.Introspection{})
	e.exec.Use(costMeter{model: costs})
	e.exec.AroundRootFields(growStack)
	e.exec.AroundRootFields(readReplicaForBI)
	return e, nil
}

// boundedRules is gqlparser's default rule set with every rule's errors counted together: after
// max of them the rest are dropped, so no document makes an error list of unbounded size. The
// count is per validation: the executor asks for a fresh rule set each time.
func boundedRules(max int) *rules.Rules {
	count := 0
	out := rules.NewRules()
	for name, fn := range rules.NewDefaultRules().GetInner() {
		out.AddRule(name, func(observers *core.Events, addError core.AddErrFunc) {
			fn(observers, func(options ...core.ErrorOption) {
				if count < max {
					count++
					addError(options...)
				}
			})
		})
	}
	return out
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, acceptable := newResponder(w, r)
	defer func() {
		if v := recover(); v != nil {
			e.log.ErrorContext(r.Context(), "panic serving GraphQL", "panic", fmt.Sprint(v))
			res.refuse(httpRefusal(http.StatusInternalServerError, CodeInternalServerError, "internal error"))
		}
	}()
	r = r.WithContext(graphql.StartOperationTrace(r.Context()))
	if ref := e.serve(res, r, acceptable); ref != nil {
		res.refuse(ref)
	}
}

// serve runs one request; a returned refusal is written by the caller.
func (e *endpoint) serve(res *responder, r *http.Request, acceptable bool) *refusal {
	ctx := r.Context()
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		ref := httpRefusal(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use GET for queries or POST")
		ref.allow = "GET, POST"
		return ref
	case !acceptable:
		return httpRefusal(http.StatusNotAcceptable, CodeNotAcceptable, "accept application/graphql-response+json or application/json")
	}
	caller := resolvers.CallerFrom(ctx)
	if caller == nil { // authenticate refuses requests without a key before they get here
		return httpRefusal(http.StatusUnauthorized, resolvers.CodeUnauthenticated, "send Authorization: Bearer <api key>")
	}
	keyLimits := caller.Limits.Or(e.limits.KeyDefaults)
	if !e.throttle.enter(caller.KeyID, keyLimits) {
		ref := httpRefusal(http.StatusTooManyRequests, CodeThrottled, fmt.Sprintf("this key already has %d requests in flight, its limit", keyLimits.MaxInFlight))
		ref.retryAfter = 1
		return ref
	}
	defer e.throttle.leave(caller.KeyID)

	params, ref := e.readParams(r)
	if ref != nil {
		return ref
	}
	if ref := e.checkDocument(ctx, params.Query); ref != nil {
		return ref
	}
	opCtx, errs := e.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return &refusal{errors: errs}
	}
	if info := requestInfoFrom(ctx); info != nil {
		info.setOperation(opCtx.OperationName, string(opCtx.Operation.Operation), rootField(opCtx.Operation.SelectionSet))
	}
	return e.run(ctx, res, r, caller.KeyID, keyLimits, opCtx)
}

// readParams reads the GraphQL request of a GET (URL parameters) or POST (JSON body).
func (e *endpoint) readParams(r *http.Request) (*graphql.RawParams, *refusal) {
	params := &graphql.RawParams{Headers: r.Header, ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	var body struct {
		Query         *string         `json:"query"`
		OperationName *string         `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
	}
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		if v, ok := q["query"]; ok {
			body.Query = &v[0]
		}
		if v := q.Get("operationName"); v != "" {
			body.OperationName = &v
		}
		body.Variables, body.Extensions = json.RawMessage(q.Get("variables")), json.RawMessage(q.Get("extensions"))
	} else {
		media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || media != mediaJSON {
			return nil, httpRefusal(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "send the request as Content-Type: application/json")
		}
		raw, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, httpRefusal(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, fmt.Sprintf("the request body is larger than %d bytes", e.limits.MaxBodyBytes))
		} else if err != nil {
			return nil, httpRefusal(http.StatusBadRequest, CodeBadRequest, "cannot read the request body")
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, malformed(`the body is not a JSON object {"query": "...", "variables": {...}}`)
		}
	}
	if body.Query == nil || strings.TrimSpace(*body.Query) == "" {
		return nil, malformed(`the request has no query: send {"query": "..."}`)
	}
	params.Query = *body.Query
	if body.OperationName != nil {
		params.OperationName = *body.OperationName
	}
	if values, longest := scanJSON(body.Variables); values > e.limits.MaxVariableValues || longest > e.limits.MaxVariableString {
		return nil, requestRefusal(CodeVariablesTooLarge, fmt.Sprintf("the variables hold %d values, the longest string %d bytes; the limits are %d values and %d bytes",
			values, longest, e.limits.MaxVariableValues, e.limits.MaxVariableString))
	}
	if ref := decodeObject(body.Variables, &params.Variables, "variables"); ref != nil {
		return nil, ref
	}
	if ref := decodeObject(body.Extensions, &params.Extensions, "extensions"); ref != nil {
		return nil, ref
	}
	params.ReadTime.End = graphql.Now()
	return params, nil
}

// decodeObject reads an optional JSON object (variables, extensions); null or absent is empty.
func decodeObject(raw json.RawMessage, into *map[string]any, name string) *refusal {
	if s := strings.TrimSpace(string(raw)); s == "" || s == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil || *into == nil {
		return malformed(name + " must be a JSON object")
	}
	return nil
}

// scanJSON counts the values of a JSON text and measures its longest string, in one pass that
// allocates nothing: variables are checked before they are decoded, since decoding a megabyte of
// small values costs twenty times that in memory.
func scanJSON(raw []byte) (values, longest int) {
	inString, escaped, start := false, false, 0
	for i, c := range raw {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
			longest = max(longest, i-start)
		case inString:
		case c == '"':
			inString, start = true, i+1
			values++
		case c == '{' || c == '[':
			values++
		case c == ',' || c == ':':
		case c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9'):
			// a literal or a number starts after a separator or a bracket
			if i == 0 || strings.IndexByte(",:[ \t\r\n", raw[i-1]) >= 0 {
				values++
			}
		}
	}
	return values, longest
}

func malformed(msg string) *refusal {
	return httpRefusal(http.StatusBadRequest, CodeBadRequest, "malformed request: "+msg)
}

// checkDocument refuses query text too large, too many tokens, or a document whose expanded shape
// is over the limits, before validation sees it. A document already validated (in the cache)
// passed these checks when it was first seen.
func (e *endpoint) checkDocument(ctx context.Context, query string) *refusal {
	if len(query) > e.limits.MaxQueryBytes {
		return httpRefusal(http.StatusRequestEntityTooLarge, CodeQueryTooLarge, fmt.Sprintf("the query text has %d bytes; the limit is %d", len(query), e.limits.MaxQueryBytes))
	}
	if _, ok := e.cache.Get(ctx, query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, e.limits.MaxTokens)
	if err != nil {
		var gerr *gqlerror.Error
		if !errors.As(err, &gerr) {
			gerr = gqlerror.Wrap(err)
		}
		code := CodeParseFailed
		if strings.HasPrefix(gerr.Message, "exceeded token limit") {
			code, gerr.Message = CodeTooManyTokens, fmt.Sprintf("the query has more than %d tokens, the limit", e.limits.MaxTokens)
		}
		gerr.Extensions = map[string]any{"code": code}
		return &refusal{errors: gqlerror.List{gerr}}
	}
	return e.limits.check(measure(doc))
}

// run prices, authorizes, throttles and executes a validated operation.
func (e *endpoint) run(ctx context.Context, res *responder, r *http.Request, keyID int64, keyLimits models.KeyLimits, opCtx *graphql.OperationContext) *refusal {
	caller := resolvers.CallerFrom(ctx)
	if opCtx.Operation.Operation == ast.Mutation {
		if r.Method == http.MethodGet {
			ref := httpRefusal(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "mutations need POST")
			ref.allow = "POST"
			return ref
		}
		if !caller.CanWrite() {
			return httpRefusal(http.StatusForbidden, resolvers.CodeForbidden, "this key is read-only (READER)")
		}
	}
	p := e.costs.priceOperation(opCtx.Operation, opCtx.Variables)
	switch {
	case p.refusal != nil:
		return p.refusal
	case p.aggregations > e.limits.MaxAggregations:
		return requestRefusal(CodeTooManyAggregations, fmt.Sprintf("the request asks for %d aggregations (licenseSummary, accountsWithConflicts, licenseConflicts, activationStatus); the limit is %d", p.aggregations, e.limits.MaxAggregations))
	case p.cost > e.limits.MaxCost || p.cost > keyLimits.BucketSize:
		ref := requestRefusal(CodeMaxCostExceeded, fmt.Sprintf("the request would cost %d points; one request may cost at most %d", p.cost, min(e.limits.MaxCost, keyLimits.BucketSize)))
		ref.extensions = map[string]any{"cost": map[string]any{"requestedQueryCost": p.cost, "maximumQueryCost": min(e.limits.MaxCost, keyLimits.BucketSize)}}
		return ref
	}
	if errs := checkBounds(e.schema, opCtx.Operation, opCtx.Variables, e.limits.MaxErrors); len(errs) > 0 {
		return &refusal{errors: errs}
	}
	st, wait, ok := e.throttle.take(keyID, keyLimits, p.cost)
	if !ok {
		ref := httpRefusal(http.StatusTooManyRequests, CodeThrottled, fmt.Sprintf("the request costs %d points and this key has %d left; they refill at %d per second", p.cost, st.CurrentlyAvailable, st.RestoreRate))
		ref.retryAfter = int(math.Ceil(wait.Seconds()))
		ref.extensions = map[string]any{"cost": costReport{Requested: p.cost, Throttle: st}}
		return ref
	}
	timeout := e.limits.RequestTimeout
	if p.aggregations > 0 {
		timeout = e.limits.AggregationTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ctx, span := startOperationSpan(ctx, opCtx, p.cost)
	m := &meter{}
	ctx = withMeter(ctx, m)
	if opCtx.Operation.Operation == ast.Query {
		ctx = models.WithReadMemo(ctx) // a query's parts share their reads by id (not a mutation's)
	}
	responses, ctx := e.exec.DispatchOperation(ctx, opCtx)
	out := responses(ctx)
	actual := min(int(m.points.Load()), p.cost)
	endOperationSpan(span, actual, out.Errors)
	if info := requestInfoFrom(ctx); info != nil {
		info.setCost(p.cost, actual, len(out.Errors) > 0)
	}
	st = e.throttle.refund(keyID, keyLimits, p.cost-actual)
	if out.Extensions == nil {
		out.Extensions = map[string]any{}
	}
	out.Extensions["cost"] = costReport{Requested: p.cost, Actual: &actual, Throttle: st}
	status := http.StatusOK
	if unavailable(out.Errors) {
		status = http.StatusServiceUnavailable
		res.w.Header().Set("Retry-After", fmt.Sprint(retryAfterUnavailableSecs))
	}
	res.writeResponse(status, out)
	return nil
}

// costReport is extensions.cost of a response, as Shopify's Admin API reports it.
type costReport struct {
	Requested int            `json:"requestedQueryCost"`
	Actual    *int           `json:"actualQueryCost"`
	Throttle  throttleStatus `json:"throttleStatus"`
}

// unavailable tells whether the database could not serve the request (down, too slow, a cluster
// node not ready): the whole response is then a 503 the client should retry.
func unavailable(errs gqlerror.List) bool {
	for _, err := range errs {
		if err.Extensions != nil && err.Extensions["code"] == CodeServiceUnavailable {
			return true
		}
	}
	return false
}

// rootField is the first root field of an operation (through fragments): the operation label
// of the metrics and span names, a name from the schema whatever the client sends.
func rootField(set ast.SelectionSet) string {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			return sel.Name
		case *ast.InlineFragment:
			if name := rootField(sel.SelectionSet); name != "" {
				return name
			}
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				if name := rootField(sel.Definition.SelectionSet); name != "" {
					return name
				}
			}
		}
	}
	return ""
}

// growStack grows the stack of a root field's goroutine (gqlgen starts one for each root field
// but the first) before it goes deep (package stack).
func growStack(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	stack.Grow()
	return next(ctx)
}

// biRootFields are the queries that may read from the read replica (DATABASE_READ_URL): BI
// aggregations, where a few seconds of replication lag are fine. Everything else, including
// activationStatus (read right after an order), reads the primary.
var biRootFields = map[string]bool{"licenseSummary": true, "accountsWithConflicts": true, "licenseConflicts": true}

// readReplicaForBI marks the context of a BI root field of a query for the read replica.
func readReplicaForBI(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if rf := graphql.GetRootFieldContext(ctx); rf != nil && biRootFields[rf.Field.Name] &&
		graphql.GetOperationContext(ctx).Operation.Operation == ast.Query {
		ctx = models.ReadReplica(ctx)
	}
	return next(ctx)
}

var tracer = otel.Tracer("github.com/licensing-api/licensing-api/server")

// startOperationSpan opens the span of one GraphQL operation, named by its type and first root
// field; the client's operation name is an attribute, cut to 100 bytes.
func startOperationSpan(ctx context.Context, opCtx *graphql.OperationContext, cost int) (context.Context, trace.Span) {
	typ := string(opCtx.Operation.Operation)
	name := opCtx.OperationName
	if len(name) > 100 {
		name = name[:100]
	}
	return tracer.Start(ctx, "graphql "+typ+" "+rootField(opCtx.Operation.SelectionSet), trace.WithAttributes(
		attribute.String("graphql.operation.type", typ), attribute.String("graphql.operation.name", name),
		attribute.Int("licensing.cost.requested", cost)))
}

func endOperationSpan(span trace.Span, actual int, errs gqlerror.List) {
	span.SetAttributes(attribute.Int("licensing.cost.actual", actual), attribute.Int("graphql.errors", len(errs)))
	if unavailable(errs) {
		span.SetStatus(codes.Error, "database unavailable")
	}
	span.End()
}
