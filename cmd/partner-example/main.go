// Command partner-example shows the typed Go client (package client) at work, as partner
// automation would use it: it places an order with an idempotency key, has it processed, reads it
// back and shows the enrollment's activation, printing each step.
//
//	eval "$(licensing-api create-operator-key -export)"   # or seed-demo -export, with LICENSING_OPERATOR_KEY
//	go run ./cmd/partner-example -url http://127.0.0.1:8080/graphql
//
// The key comes from LICENSING_API_KEY, never from a flag (flags show in process lists). Processing
// needs an OPERATOR key: LICENSING_OPERATOR_KEY if set, else LICENSING_API_KEY.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/client"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "partner-example:", err)
		os.Exit(1)
	}
}

type options struct {
	url, enrollment, sku, idempotencyKey string
	quantity                             int
	day                                  client.Date
	timeout                              time.Duration
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("partner-example", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/graphql", "the API's GraphQL endpoint")
	fs.StringVar(&o.enrollment, "enrollment", "ENR-1000001", "the enrollment to order against (seed-demo makes ENR-1000001)")
	fs.StringVar(&o.sku, "sku", "O365-E3", "the SKU to order")
	fs.IntVar(&o.quantity, "quantity", 10, "how many licenses, 1 to 1,000,000")
	fs.StringVar(&o.idempotencyKey, "idempotency-key", "", "the order's idempotency key, at most 200 characters; default a new one. Run again with the same key: no second order")
	date := fs.String("date", "", "purchase and usage start date, YYYY-MM-DD; default today (UTC)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "how long the whole run may take, retries included")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.quantity < 1 || o.quantity > 1_000_000 {
		return o, fmt.Errorf("quantity %d: use 1 to 1,000,000", o.quantity)
	}
	if len(o.idempotencyKey) > 200 {
		return o, errors.New("idempotency key: at most 200 characters")
	}
	o.day = client.DateOf(time.Now().UTC())
	if *date != "" {
		d, err := client.ParseDate(*date)
		if err != nil {
			return o, err
		}
		o.day = d
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	api, err := client.New(client.Config{Endpoint: o.url, APIKey: getenv("LICENSING_API_KEY")})
	if err != nil {
		return err
	}
	operator := api
	if k := getenv("LICENSING_OPERATOR_KEY"); k != "" {
		if operator, err = client.New(client.Config{Endpoint: o.url, APIKey: k}); err != nil {
			return err
		}
	}
	placed, err := api.CreateOrder(ctx, client.CreateOrderInput{EnrollmentNumber: o.enrollment, PurchaseDate: o.day, UsageStartDate: o.day,
		IdempotencyKey: o.idempotencyKey, Lines: []client.OrderLineInput{{Sku: o.sku, Quantity: o.quantity}}})
	if err != nil {
		return fmt.Errorf("creating the order: %w", err)
	}
	fmt.Fprintf(stdout, "created order %s (%s) on %s: %s; idempotency key %s\n", placed.Number, placed.Status, placed.Enrollment.Number, lines(placed), placed.IdempotencyKey)
	if err := process(ctx, operator, placed, stdout); err != nil {
		return err
	}
	got, err := api.OrderByNumber(ctx, placed.Number)
	if err != nil {
		return fmt.Errorf("reading the order back: %w", err)
	}
	fmt.Fprintf(stdout, "read back order %s: %s, %s, enrollment %s, purchased %s, idempotency key %s\n",
		got.Number, got.Status, lines(got), got.Enrollment.Number, got.PurchaseDate, got.IdempotencyKey)
	st, err := api.ActivationStatus(ctx, o.enrollment, nil)
	if err != nil {
		return fmt.Errorf("reading the activation status: %w", err)
	}
	fmt.Fprintf(stdout, "activation of %s: %s\n", o.enrollment, st.State)
	for _, r := range st.Reasons {
		fmt.Fprintf(stdout, "  %s: %s (next: %s)\n", r.Code, r.Message, r.Action)
	}
	return nil
}

// process has the order processed, unless an earlier run with the same idempotency key did.
func process(ctx context.Context, operator *client.Client, placed *client.Order, stdout io.Writer) error {
	if placed.Status == client.OrderStatusProcessed {
		fmt.Fprintf(stdout, "order %s was already processed at %s (an earlier run with this idempotency key)\n", placed.Number, when(placed.ProcessedAt))
		return nil
	}
	processed, err := operator.ProcessOrder(ctx, placed.Id)
	if client.Code(err) == "FORBIDDEN" {
		return errors.New("processing needs an OPERATOR key: set LICENSING_OPERATOR_KEY (licensing-api create-operator-key prints one)")
	} else if err != nil {
		return fmt.Errorf("processing order %s: %w", placed.Number, err)
	}
	fmt.Fprintf(stdout, "processed order %s: %s at %s; its licenses are available from %s (R-ORD-5)\n",
		processed.Number, processed.Status, when(processed.ProcessedAt), when(processed.AvailableAt))
	return nil
}

func lines(o *client.Order) string {
	parts := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		parts[i] = fmt.Sprintf("%d x %s", l.Quantity, l.Sku.Code)
	}
	return strings.Join(parts, ", ")
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
