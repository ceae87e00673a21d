package resolvers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/licensing-api/licensing-api/graph/model"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/scalars"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Error codes of GraphQL errors (extensions.code). Business refusals are userErrors instead.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeInternal        = "INTERNAL_SERVER_ERROR"
	// CodeServiceUnavailable: the database is down, too slow or not ready; the request is answered
	// with HTTP 503 and Retry-After and may be retried as it is.
	CodeServiceUnavailable = "SERVICE_UNAVAILABLE"
)

// APIError is a GraphQL error with a code, safe to show to the caller.
type APIError struct {
	Code    string
	Message string
	Field   []string
}

func (e *APIError) Error() string { return e.Message }

func errUnauthenticated() error {
	return &APIError{Code: CodeUnauthenticated, Message: "missing, unknown or revoked API key: send Authorization: Bearer <key>"}
}
func errForbidden(msg string) error { return &APIError{Code: CodeForbidden, Message: msg} }
func errBadInput(field, msg string) error {
	return &APIError{Code: CodeBadUserInput, Message: msg, Field: []string{field}}
}

// PresentError is the one place errors become GraphQL errors: coded errors keep their code,
// anything else is logged and replaced by a generic message, so no internal detail leaks.
func PresentError(ctx context.Context, err error) *gqlerror.Error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) && gerr.Extensions != nil && gerr.Extensions["code"] != nil {
		return gerr // already coded (gqlgen's own validation and parse errors)
	}
	out := graphql.DefaultErrorPresenter(ctx, err)
	var apiErr *APIError
	var problems licensing.Problems
	switch {
	case errors.As(err, &apiErr):
		out.Message = apiErr.Message
		out.Extensions = map[string]any{"code": apiErr.Code}
		if len(apiErr.Field) > 0 {
			out.Extensions["field"] = apiErr.Field
		}
	case errors.Is(err, scalars.ErrInvalid):
		// A malformed Date or DateTime in the request: the path names the field.
		out.Message = err.Error()
		out.Extensions = map[string]any{"code": CodeBadUserInput}
	case errors.As(err, &problems):
		// Problems outside a mutation payload (for example a query's argument).
		out.Message = problems.Error()
		out.Extensions = map[string]any{"code": CodeBadUserInput}
	case models.IsUnavailable(err):
		slog.WarnContext(ctx, "database unavailable", "err", err, "path", out.Path.String())
		out.Message = "the database is unavailable or too slow right now; retry"
		out.Extensions = map[string]any{"code": CodeServiceUnavailable}
	case errors.As(err, &gerr) && gerr.Err == nil && len(gerr.Path) == 0:
		// gqlgen's own complaint about the request itself, such as a body that is not JSON:
		// the caller's mistake, not a server fault.
		out.Message = `malformed request: send a JSON body {"query": "...", "variables": {...}}`
		out.Extensions = map[string]any{"code": CodeBadUserInput}
	default:
		slog.ErrorContext(ctx, "internal error", "err", err, "path", out.Path.String())
		out.Message = "internal error"
		out.Extensions = map[string]any{"code": CodeInternal}
	}
	return out
}

// RecoverPanic turns a panic into a scrubbed internal error; the stack goes to the log only.
func RecoverPanic(ctx context.Context, v any) error {
	slog.ErrorContext(ctx, "panic in resolver", "panic", v)
	return &APIError{Code: CodeInternal, Message: "internal error"}
}

// payloadErrors splits a store error into userErrors (a refusal: nothing was written), each on
// the field path of the mutation's input type in, or a GraphQL error (anything else).
func payloadErrors(in inputFields, err error) ([]*model.UserError, error) {
	var problems licensing.Problems
	if errors.As(err, &problems) {
		out := make([]*model.UserError, len(problems))
		for i, p := range problems {
			out[i] = &model.UserError{Field: in.path(p.Input), Code: model.UserErrorCode(p.Code), Message: p.Message}
		}
		return out, nil
	}
	return nil, err
}

// nullIfNotFound lets a lookup of a missing (or another reseller's) object answer null.
func nullIfNotFound[T any](v *T, err error) (*T, error) {
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	return v, err
}
