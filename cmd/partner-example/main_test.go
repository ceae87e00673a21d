package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/Khan/genqlient/graphql"
	"github.com/licensing-api/licensing-api/client"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
)

func runExample(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errs)
	return out.String(), err
}

var orderNumber = regexp.MustCompile(`created order (ORD-\w+) \(PLACED\) on ENR-1000001: 7 x M365-E3; idempotency key example-1\n`)

// TestExampleCreatesProcessesAndReadsBack runs the example against a server started here: with an
// operator key alone, and with a reseller key plus LICENSING_OPERATOR_KEY. It places, processes
// and reads back one order, and a second run with the same idempotency key places none.
func TestExampleCreatesProcessesAndReadsBack(t *testing.T) {
	testenv.Each(t, func(t *testing.T, s *models.Store) {
		api := apitest.Start(t, s, nil)
		args := []string{"-url", api.URL, "-date", "2026-11-23", "-sku", "M365-E3", "-quantity", "7", "-idempotency-key", "example-1"}
		out, err := runExample(t, map[string]string{"LICENSING_API_KEY": api.ResellerKey, "LICENSING_OPERATOR_KEY": api.OperatorKey}, args...)
		if err != nil {
			t.Fatalf("example: %v\n%s", err, out)
		}
		t.Logf("example output:\n%s", out)
		m := orderNumber.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no created order in:\n%s", out)
		}
		for _, want := range []string{
			"processed order " + m[1] + ": PROCESSED at 2026-11-23T09:00:00Z; its licenses are available from 2026-11-23T21:00:00Z",
			"read back order " + m[1] + ": PROCESSED, 7 x M365-E3, enrollment ENR-1000001, purchased 2026-11-23, idempotency key example-1",
			"activation of ENR-1000001: ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		// What the example printed is what the server holds.
		c, err := client.New(client.Config{Endpoint: api.URL, APIKey: api.OperatorKey})
		if err != nil {
			t.Fatal(err)
		}
		o, err := c.OrderByNumber(context.Background(), m[1])
		if err != nil || o.Status != client.OrderStatusProcessed || o.Lines[0].Quantity != 7 {
			t.Fatalf("the server's order: %+v, %v", o, err)
		}

		// Again with the same key, with an operator key alone: the same order, already processed.
		out, err = runExample(t, map[string]string{"LICENSING_API_KEY": api.OperatorKey}, args...)
		if err != nil || !strings.Contains(out, "created order "+m[1]+" (PROCESSED)") || !strings.Contains(out, "order "+m[1]+" was already processed") {
			t.Fatalf("second run: %v\n%s", err, out)
		}
		// A new key, with the operator key alone: a second order, processed.
		args[len(args)-1] = "example-2"
		out, err = runExample(t, map[string]string{"LICENSING_API_KEY": api.OperatorKey}, args...)
		if err != nil || !strings.Contains(out, "idempotency key example-2") || !strings.Contains(out, ": PROCESSED at ") {
			t.Fatalf("operator run: %v\n%s", err, out)
		}
		if n := countOrders(t, c); n != 2 {
			t.Fatalf("%d orders, want 2", n)
		}
		// A reseller key alone cannot process: the example says which key it needs.
		args[len(args)-1] = "example-3"
		if out, err = runExample(t, map[string]string{"LICENSING_API_KEY": api.ResellerKey}, args...); err == nil || !strings.Contains(err.Error(), "needs an OPERATOR key") {
			t.Fatalf("reseller-only run: %v\n%s", err, out)
		}
	})
}

// countOrders asks the server how many orders the client's key sees, with a raw request.
func countOrders(t *testing.T, c *client.Client) int {
	t.Helper()
	var data struct{ Orders struct{ TotalCount int } }
	if err := c.GraphQL.MakeRequest(context.Background(), &graphql.Request{Query: "{ orders { totalCount } }"}, &graphql.Response{Data: &data}); err != nil {
		t.Fatal(err)
	}
	return data.Orders.TotalCount
}

func TestExampleRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "LICENSING_API_KEY"},
		{map[string]string{"LICENSING_API_KEY": "k"}, []string{"-url", "ftp://x"}, "http(s) URL"},
		{map[string]string{"LICENSING_API_KEY": "k"}, []string{"-quantity", "0"}, "1 to 1,000,000"},
		{map[string]string{"LICENSING_API_KEY": "k"}, []string{"-date", "23.11.2026"}, "YYYY-MM-DD"},
		{map[string]string{"LICENSING_API_KEY": "k"}, []string{"-idempotency-key", strings.Repeat("k", 201)}, "200 characters"},
	} {
		if _, err := runExample(t, c.env, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q", c.args, err, c.want)
		}
	}
}
