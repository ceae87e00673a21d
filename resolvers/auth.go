package resolvers

import (
	"context"

	"github.com/licensing-api/licensing-api/models"
)

type callerKey struct{}

// WithCaller stores the authenticated caller (or nil for no key) in the request context.
func WithCaller(ctx context.Context, c *models.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the request's authenticated caller, if any.
func CallerFrom(ctx context.Context) *models.Caller {
	c, _ := ctx.Value(callerKey{}).(*models.Caller)
	return c
}

// reader returns the caller of a query: any valid key.
func reader(ctx context.Context) (models.Caller, error) {
	c := CallerFrom(ctx)
	if c == nil {
		return models.Caller{}, errUnauthenticated()
	}
	return *c, nil
}

// writer returns the caller of a mutation: a RESELLER or OPERATOR key. (READER keys are
// refused for every mutation before any resolver runs, see server; this is the second lock.)
func writer(ctx context.Context) (models.Caller, error) {
	c, err := reader(ctx)
	if err != nil {
		return c, err
	}
	if !c.CanWrite() {
		return c, errForbidden("this key is read-only (READER)")
	}
	return c, nil
}

// operator returns the caller of a platform or support action: an OPERATOR key.
func operator(ctx context.Context) (models.Caller, error) {
	c, err := reader(ctx)
	if err != nil {
		return c, err
	}
	if c.Role != models.RoleOperator {
		return c, errForbidden("only platform operators may do this")
	}
	return c, nil
}
