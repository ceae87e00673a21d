// Package client is a typed Go client of the licensing API for partner automation.
//
// The types and functions of generated.go come from genqlient (github.com/Khan/genqlient), from
// schema.graphqls and the operations in operations.graphql; `go generate ./...` regenerates them.
// This file and transport.go are the hand-written layer: a Transport that sends the API key and
// retries throttled (429) and unavailable (503) answers and network failures where that is safe,
// and helpers that place, process and read orders, poll an enrollment's activation and page
// through a license summary.
//
//	c, err := client.New(client.Config{Endpoint: "http://127.0.0.1:8080/graphql", APIKey: os.Getenv("LICENSING_API_KEY")})
//	order, err := c.CreateOrder(ctx, client.CreateOrderInput{EnrollmentNumber: "ENR-1000001", ...})
package client

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Config says where the API is and which key to use.
type Config struct {
	// Endpoint is the GraphQL URL, for example http://127.0.0.1:8080/graphql.
	Endpoint string
	// APIKey is the key sent as a bearer token (LICENSING_API_KEY in the README).
	APIKey string
	// HTTPClient sends the requests; its Transport is wrapped by the retrying Transport, and its
	// Timeout, if any, bounds all attempts together. Nil means a plain http.Client.
	HTTPClient *http.Client
	// Retry bounds the retries; zero fields take RetryPolicy's defaults.
	Retry RetryPolicy

	sleep func(ctx context.Context, d time.Duration) error // tests record the transport's waits
}

// Client calls the licensing API. Its methods are safe for concurrent use.
type Client struct {
	// GraphQL runs the generated operations directly, for example OrderByNumber(ctx, c.GraphQL, n).
	GraphQL graphql.Client
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("endpoint %q: use an absolute http(s) URL such as http://127.0.0.1:8080/graphql", cfg.Endpoint)
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("no API key: set LICENSING_API_KEY (seed-demo -export prints one)")
	}
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	hc.Transport = &Transport{APIKey: cfg.APIKey, Base: hc.Transport, Policy: cfg.Retry, sleep: cfg.sleep}
	return &Client{GraphQL: graphql.NewClient(cfg.Endpoint, &hc)}, nil
}

// ErrNotFound: the object does not exist for the key (another reseller's looks the same).
var ErrNotFound = errors.New("not found")

// UserErrors is a refusal of a mutation: nothing was written.
type UserErrors []UserError

func (e UserErrors) Error() string {
	parts := make([]string, len(e))
	for i, u := range e {
		parts[i] = fmt.Sprintf("%s: %s", u.Code, u.Message)
		if len(u.Field) > 0 {
			parts[i] += " (" + strings.Join(u.Field, ".") + ")"
		}
	}
	return "refused: " + strings.Join(parts, "; ")
}

// Has tells whether the refusal has code.
func (e UserErrors) Has(code UserErrorCode) bool {
	for _, u := range e {
		if u.Code == code {
			return true
		}
	}
	return false
}

// Code is the extensions.code of the first GraphQL error in err (for example THROTTLED,
// FORBIDDEN, BAD_USER_INPUT, UNAUTHENTICATED), or "" when there is none.
func Code(err error) string {
	var list gqlerror.List
	var httpErr *graphql.HTTPError
	switch {
	case errors.As(err, &httpErr):
		list = httpErr.Response.Errors
	case errors.As(err, &list):
	}
	for _, e := range list {
		if c, ok := e.Extensions["code"].(string); ok {
			return c
		}
	}
	return ""
}

// NewIdempotencyKey returns a random key for an order. Keep it with the order request until the
// order is confirmed: sending it again can never create a second order (R-ORD-2).
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "order-" + hex.EncodeToString(b)
}

// OrderNotConfirmedError: CreateOrder could not learn whether the order was placed (the network
// or the server failed through every retry). Calling CreateOrder again with the same input,
// IdempotencyKey included, returns the order if it was placed and places it if not.
type OrderNotConfirmedError struct {
	IdempotencyKey string
	Err            error
}

func (e *OrderNotConfirmedError) Error() string {
	return fmt.Sprintf("order with idempotency key %q not confirmed, retry with the same key: %v", e.IdempotencyKey, e.Err)
}

func (e *OrderNotConfirmedError) Unwrap() error { return e.Err }
