package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/licensing-api/licensing-api/resolvers"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes (extensions.code) of requests refused before they run. The README's "Limits" section
// lists them with the limit each one enforces.
const (
	CodeRequestTooLarge       = "REQUEST_TOO_LARGE"
	CodeQueryTooLarge         = "QUERY_TOO_LARGE"
	CodeTooManyTokens         = "TOO_MANY_TOKENS"
	CodeTooManyFields         = "TOO_MANY_FIELDS"
	CodeTooManyAliases        = "TOO_MANY_ALIASES"
	CodeTooManyFragments      = "TOO_MANY_FRAGMENTS"
	CodeTooManyDirectives     = "TOO_MANY_DIRECTIVES"
	CodeQueryTooDeep          = "QUERY_TOO_DEEP"
	CodeRepeatedFields        = "REPEATED_FIELDS"
	CodeVariablesTooLarge     = "VARIABLES_TOO_LARGE"
	CodeTooManyAggregations   = "TOO_MANY_AGGREGATIONS"
	CodeIntrospectionTooDeep  = "INTROSPECTION_TOO_DEEP"
	CodeMaxCostExceeded       = "MAX_COST_EXCEEDED"
	CodeThrottled             = "THROTTLED"
	CodeMethodNotAllowed      = "METHOD_NOT_ALLOWED"
	CodeUnsupportedMediaType  = "UNSUPPORTED_MEDIA_TYPE"
	CodeNotAcceptable         = "NOT_ACCEPTABLE"
	CodeParseFailed           = errcode.ParseFailed
	CodeValidationFailed      = errcode.ValidationFailed
	CodeBadRequest            = resolvers.CodeBadUserInput
	CodeServiceUnavailable    = resolvers.CodeServiceUnavailable
	CodeInternalServerError   = resolvers.CodeInternal
	mediaJSON                 = "application/json"
	mediaGraphQLResponse      = "application/graphql-response+json"
	retryAfterUnavailableSecs = 2
)

// refusal is a request answered without running it. status is its HTTP status when the reason is
// not GraphQL's own (401, 405, 413, 429, 503...); zero means a GraphQL request error, whose status
// depends on the media type the client accepts (see responder.requestStatus).
type refusal struct {
	status     int
	errors     gqlerror.List
	retryAfter int // seconds; 0 for none
	allow      string
	extensions map[string]any
}

func requestRefusal(code, msg string) *refusal {
	return &refusal{errors: gqlerror.List{codedError(code, msg)}}
}

func httpRefusal(status int, code, msg string) *refusal {
	return &refusal{status: status, errors: gqlerror.List{codedError(code, msg)}}
}

func codedError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// responder writes responses in the media type the client asked for: application/json by
// default (what most clients send), application/graphql-response+json when accepted.
type responder struct {
	w     http.ResponseWriter
	media string
}

// newResponder negotiates the response media type from Accept; ok is false when the client
// accepts neither JSON type (the caller answers 406).
func newResponder(w http.ResponseWriter, r *http.Request) (*responder, bool) {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return &responder{w: w, media: mediaJSON}, true
	}
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		media, q := parseAccept(part)
		var m string
		switch media {
		case mediaGraphQLResponse:
			m = mediaGraphQLResponse
		case mediaJSON, "application/*", "*/*":
			m = mediaJSON
		default:
			continue
		}
		// The spec's own media type wins a tie.
		if q > bestQ || (q == bestQ && m == mediaGraphQLResponse) {
			best, bestQ = m, q
		}
	}
	if best == "" || bestQ <= 0 {
		return &responder{w: w, media: mediaJSON}, false
	}
	return &responder{w: w, media: best}, true
}

func parseAccept(part string) (string, float64) {
	fields := strings.Split(part, ";")
	media := strings.ToLower(strings.TrimSpace(fields[0]))
	q := 1.0
	for _, p := range fields[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
	}
	return media, q
}

// requestStatus is the status of a GraphQL request error (the document could not be run): with
// application/graphql-response+json the spec asks for 4xx, with application/json for 200.
func (r *responder) requestStatus() int {
	if r.media == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// refuse writes a refusal. A request error has no "data" entry at all (the spec's rule that tells
// a client nothing ran).
func (r *responder) refuse(ref *refusal) {
	status := ref.status
	if status == 0 {
		status = r.requestStatus()
	}
	if ref.retryAfter > 0 {
		r.w.Header().Set("Retry-After", strconv.Itoa(ref.retryAfter))
	}
	if ref.allow != "" {
		r.w.Header().Set("Allow", ref.allow)
	}
	r.write(status, struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{ref.errors, ref.extensions})
}

func (r *responder) write(status int, body any) {
	b, err := json.Marshal(body)
	r.send(status, b, err)
}

// writeResponse writes an executed operation's response. Its data is gqlgen's own compact JSON,
// written as it is: json.Marshal would scan all of it again to validate and compact a
// json.RawMessage (about a twentieth of a list page's CPU). The members are those of
// graphql.Response, in its order; the deferred-delivery ones (label, path, hasNext) are never
// set on a single response.
func (r *responder) writeResponse(status int, out *graphql.Response) {
	var b bytes.Buffer
	b.Grow(len(out.Data) + 512)
	b.WriteByte('{')
	var err error
	if len(out.Errors) > 0 {
		err = writeMember(&b, "errors", out.Errors)
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if len(out.Data) == 0 {
		b.WriteString("null")
	} else {
		b.Write(out.Data)
	}
	if len(out.Extensions) > 0 && err == nil {
		b.WriteByte(',')
		err = writeMember(&b, "extensions", out.Extensions)
	}
	b.WriteByte('}')
	r.send(status, b.Bytes(), err)
}

func writeMember(b *bytes.Buffer, name string, v any) error {
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.WriteString(`"` + name + `":`)
	b.Write(enc)
	return nil
}

// send writes a response body, or an internal error when it could not be encoded.
func (r *responder) send(status int, b []byte, err error) {
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`)
	}
	h := r.w.Header()
	h.Set("Content-Type", r.media+"; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	r.w.WriteHeader(status)
	_, _ = r.w.Write(b)
}
