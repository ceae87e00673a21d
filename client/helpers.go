package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/Khan/genqlient/graphql"
)

// CreateOrder places an order. An empty in.IdempotencyKey is filled with NewIdempotencyKey; every
// retry, the transport's and yours, sends the same key, so the order is placed at most once
// (R-ORD-2). A refusal is UserErrors; an unknown outcome is *OrderNotConfirmedError, which holds
// the key to retry with.
func (c *Client) CreateOrder(ctx context.Context, in CreateOrderInput) (*Order, error) {
	if in.IdempotencyKey == "" {
		in.IdempotencyKey = NewIdempotencyKey()
	}
	resp, err := CreateOrder(RetrySafe(ctx), c.GraphQL, in)
	if err != nil {
		// A 4xx other than 429 refused the request before it ran; anything else may have placed it.
		var httpErr *graphql.HTTPError
		if errors.As(err, &httpErr) && httpErr.StatusCode >= 400 && httpErr.StatusCode < 500 && httpErr.StatusCode != 429 {
			return nil, err
		}
		return nil, &OrderNotConfirmedError{IdempotencyKey: in.IdempotencyKey, Err: err}
	}
	p := resp.CreateOrder
	if len(p.UserErrors) > 0 || p.Order == nil {
		return nil, UserErrors(p.UserErrors)
	}
	return p.Order, nil
}

// ProcessOrder processes (invoices) a PLACED order; it needs an OPERATOR key. Processing cannot
// apply twice (a processed order is refused with ORDER_NOT_PLACED), so the transport may retry
// it; when a retry finds the order already PROCESSED, that is the outcome and it is returned.
func (c *Client) ProcessOrder(ctx context.Context, orderID string) (*Order, error) {
	var attempts atomic.Int32
	resp, err := ProcessOrder(withAttempts(RetrySafe(ctx), &attempts), c.GraphQL, orderID)
	if err != nil {
		return nil, err
	}
	p := resp.ProcessOrder
	ue := UserErrors(p.UserErrors)
	if ue.Has(UserErrorCodeOrderNotPlaced) && attempts.Load() > 1 {
		// An earlier attempt may have processed it and lost the answer: look.
		if o, err := c.OrderByID(ctx, orderID); err == nil && o.Status == OrderStatusProcessed {
			return o, nil
		}
	}
	if len(ue) > 0 || p.Order == nil {
		return nil, ue
	}
	return p.Order, nil
}

// OrderByNumber reads an order by its number, for example ORD-5Z3K0; ErrNotFound when the key
// sees none.
func (c *Client) OrderByNumber(ctx context.Context, number string) (*Order, error) {
	resp, err := OrderByNumber(ctx, c.GraphQL, number)
	if err != nil {
		return nil, err
	}
	if resp.Order == nil {
		return nil, fmt.Errorf("order %s: %w", number, ErrNotFound)
	}
	return resp.Order, nil
}

// OrderByID reads an order by its global ID; ErrNotFound when the key sees none.
func (c *Client) OrderByID(ctx context.Context, id string) (*Order, error) {
	resp, err := OrderByID(ctx, c.GraphQL, id)
	if err != nil {
		return nil, err
	}
	if o, ok := resp.Node.(*OrderByIDNodeOrder); ok && o != nil {
		return &o.Order, nil
	}
	return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
}

// ActivationStatus reads an enrollment's activation now (asOf nil) or at asOf; ErrNotFound when
// the key sees no such enrollment.
func (c *Client) ActivationStatus(ctx context.Context, enrollmentNumber string, asOf *time.Time) (*ActivationStatus, error) {
	resp, err := EnrollmentActivation(ctx, c.GraphQL, enrollmentNumber, asOf)
	if err != nil {
		return nil, err
	}
	if resp.ActivationStatus == nil {
		return nil, fmt.Errorf("enrollment %s: %w", enrollmentNumber, ErrNotFound)
	}
	return resp.ActivationStatus, nil
}

// MinPollInterval is the shortest interval PollActivation polls at, to spare the key's cost budget.
const MinPollInterval = time.Second

// PollActivation reads an enrollment's activation status every interval (at least
// MinPollInterval) until done says so, and returns the last status; it stops with ctx's error
// when ctx ends first. A nil done stops at the first state that needs no waiting: neither
// NO_ORDER, AWAITING_USAGE_START nor AWAITING_EMAIL.
func (c *Client) PollActivation(ctx context.Context, enrollmentNumber string, interval time.Duration, done func(*ActivationStatus) bool) (*ActivationStatus, error) {
	if done == nil {
		done = func(s *ActivationStatus) bool {
			return s.State != ActivationStateNoOrder && s.State != ActivationStateAwaitingUsageStart && s.State != ActivationStateAwaitingEmail
		}
	}
	interval = max(interval, MinPollInterval)
	for {
		s, err := c.ActivationStatus(ctx, enrollmentNumber, nil)
		if err != nil || done(s) {
			return s, err
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return s, ctx.Err()
		case <-t.C:
		}
	}
}

// MaxSummaryPages bounds LicenseSummary's paging, so a server that kept answering hasNextPage
// could not keep a client busy forever: 10,000 pages of up to 100 rows.
const MaxSummaryPages = 10_000

// LicenseSummary pulls a license summary page by page (pageSize rows each, 1 to 100) and calls
// row for each row, in order; it stops at the first error row returns. It returns the number of
// rows the server reported (totalCount).
func (c *Client) LicenseSummary(ctx context.Context, groupBy []SummaryDimension, filter *LicenseSummaryFilter, asOf *time.Time,
	pageSize int, row func(LicenseSummaryRow) error) (int, error) {
	if pageSize < 1 || pageSize > 100 {
		return 0, fmt.Errorf("page size %d: use 1 to 100", pageSize)
	}
	var after *string
	for page := 0; page < MaxSummaryPages; page++ {
		resp, err := LicenseSummary(ctx, c.GraphQL, groupBy, filter, asOf, pageSize, after)
		if err != nil {
			return 0, err
		}
		s := resp.LicenseSummary
		for _, e := range s.Edges {
			if err := row(e.Node); err != nil {
				return s.TotalCount, err
			}
		}
		next := s.PageInfo.EndCursor
		if !s.PageInfo.HasNextPage || next == nil || (after != nil && *next == *after) {
			return s.TotalCount, nil
		}
		after = next
	}
	return 0, errors.New("license summary: more than MaxSummaryPages pages")
}
