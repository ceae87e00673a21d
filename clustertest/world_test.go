package clustertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/mail"
)

// The objects the tests write against, made through the API (server 1 unless said otherwise).

const ue = `userErrors { field code message }`

var seq atomic.Int64

// next is a number unique in the test binary, for agreement, enrollment and order numbers.
func next() int64 { return seq.Add(1) }

// reseller makes a reseller and returns its RESELLER key.
func (c *cluster) reseller(name string) string {
	c.t.Helper()
	r := c.must(0, c.op, `mutation($n: String!) { createReseller(input: {name: $n}) { reseller { id } `+ue+` } }`, map[string]any{"n": name})
	k := c.must(0, c.op, `mutation($r: ID!) { createApiKey(input: {resellerId: $r, role: RESELLER, name: "k"}) { token `+ue+` } }`,
		map[string]any{"r": str(r, "createReseller", "reseller", "id")})
	return str(k, "createApiKey", "token")
}

// deal is a customer with an agreement and one enrollment; osm is the enrollment's OSM email.
type deal struct {
	customer, agreement, enrollment, number string
}

// newDeal makes a customer, an agreement of program (contacts ana@ AGREEMENT_ADMINISTRATOR and
// vic@ VLSC_ADMINISTRATOR at domain) and an enrollment whose OSM is osm@domain.
func (c *cluster) newDeal(key, program, domain string) deal {
	c.t.Helper()
	var d deal
	cu := c.must(0, key, `mutation { createCustomer(input: {organizationName: "Fabrikam", country: "US"}) { customer { id } `+ue+` } }`, nil)
	d.customer = str(cu, "createCustomer", "customer", "id")
	number := fmt.Sprint("A-", next())
	if program == "OPEN_VALUE" {
		number = fmt.Sprint("V", next())
	}
	ag := c.must(0, key, `mutation($c: ID!, $p: String!, $n: String!, $ana: String!, $vic: String!) { createAgreement(input: {customerId: $c, program: $p, number: $n,
		startDate: "2026-01-01", anniversaryDate: "2027-01-01", contacts: [
		{name: "Ana", email: $ana, roles: [AGREEMENT_ADMINISTRATOR]}, {name: "Vic", email: $vic, roles: [VLSC_ADMINISTRATOR]}]}) { agreement { id } `+ue+` } }`,
		map[string]any{"c": d.customer, "p": program, "n": number, "ana": "ana@" + domain, "vic": "vic@" + domain})
	d.agreement = str(ag, "createAgreement", "agreement", "id")
	d.number = fmt.Sprint("E-", next())
	en := c.must(0, key, `mutation($a: ID!, $n: String!, $osm: String!) { createEnrollment(input: {agreementId: $a, number: $n, organizationName: "Fabrikam",
		osmName: "Olivia", osmEmail: $osm, startDate: "2026-01-01", endDate: "2028-12-31"}) { enrollment { id } `+ue+` } }`,
		map[string]any{"a": d.agreement, "n": d.number, "osm": "osm@" + domain})
	d.enrollment = str(en, "createEnrollment", "enrollment", "id")
	return d
}

// newAccount makes an account of customer with users u0..u{users-1}@domain.
func (c *cluster) newAccount(key, customer, domain string, users int) string {
	c.t.Helper()
	us := []any{}
	for i := range users {
		us = append(us, map[string]any{"userName": fmt.Sprintf("u%d@%s", i, domain)})
	}
	a := c.must(0, key, `mutation($c: ID!, $d: String!, $u: [AccountUserInput!]) { createAccount(input: {customerId: $c, name: "Tenant", country: "US",
		verifiedDomains: [$d], users: $u}) { account { id } `+ue+` } }`, map[string]any{"c": customer, "d": domain, "u": us})
	return str(a, "createAccount", "account", "id")
}

const createOrderDoc = `mutation($in: CreateOrderInput!) { createOrder(input: $in) { order { id number } ` + ue + ` } }`

// orderInput is a createOrder input of sku, quantity pairs dated today.
func orderInput(enrollment, idem string, pairs ...any) map[string]any {
	lines := []any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		lines = append(lines, map[string]any{"sku": pairs[i], "quantity": pairs[i+1]})
	}
	return map[string]any{"in": map[string]any{"enrollmentNumber": enrollment, "lines": lines,
		"purchaseDate": today, "usageStartDate": today, "idempotencyKey": idem}}
}

// order places an order through server i and returns its id.
func (c *cluster) order(i int, key, enrollment, idem string, pairs ...any) string {
	c.t.Helper()
	return str(c.must(i, key, createOrderDoc, orderInput(enrollment, idem, pairs...)), "createOrder", "order", "id")
}

const processOrderDoc = `mutation($id: ID!) { processOrder(input: {orderId: $id}) { order { id status productKeys { key } } ` + ue + ` } }`

// activationToken dispatches the emails due now and returns the token of the one sent for
// the enrollment (through node 1's store).
func (c *cluster) activationToken(number string) string {
	c.t.Helper()
	box := &outbox{}
	d := &mail.Dispatcher{Store: c.stores[0], Sender: box, BaseURL: "http://x/activate", Now: func() time.Time { return now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// One run sends every email due, past those dropped because their enrollment was
	// provisioned meanwhile.
	if _, err := d.RunOnce(context.Background()); err != nil {
		c.t.Fatalf("dispatch: %v", err)
	}
	for _, m := range box.sent {
		if m.EnrollmentNumber == number {
			u, err := url.Parse(m.Link)
			if err != nil {
				c.t.Fatal(err)
			}
			return u.Query().Get("token")
		}
	}
	c.t.Fatalf("no activation email for %s among %d sent", number, len(box.sent))
	return ""
}

type outbox struct{ sent []mail.Message }

func (o *outbox) Send(_ context.Context, m mail.Message) error {
	o.sent = append(o.sent, m)
	return nil
}

// forEachCluster runs fn on each cluster the run has: Galera (three servers, one per node) and
// MariaDB (two servers on one database).
func forEachCluster(t *testing.T, fn func(t *testing.T, c *cluster)) {
	t.Run("galera", func(t *testing.T) { fn(t, newGalera(t)) })
	t.Run("mariadb", func(t *testing.T) { fn(t, newMariaDB(t, 2)) })
}
