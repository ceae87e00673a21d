package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/models"
)

// The statements of a request follow the shape of its query, not the size of its pages (issue
// 11): the front-end's list pages, with nested pages one and two levels down, cost the same
// statements for a page of 2 as for a page of 7, on both stores.
func TestStatementsPerRequest(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for i := 0; i < 6; i++ {
			number := fmt.Sprintf("ENR-%d", 100+i)
			e.enroll(w.Key, w.AgreementID, number, "Fabrikam", "olivia@fabrikam.com")
			e.buyToday(w.Key, number, "o"+number, "O365-E3", 10+i, "INTUNE", 5)
		}
		// The list page (cmd/readbench measures the same query) within 4 statements (the
		// issue asks for 6: the agreements and their customers are one joined read, and the
		// subscriptions' pages come with their changes), and a deeper one, with a nested
		// connection under the customer, within 6.
		pages := []struct {
			name, query string
			ceiling     int64
		}{
			{"list page", `query($first: Int!) { enrollments(first: $first) { totalCount edges { cursor node { id number organizationName status
				agreement { id number program customer { id organizationName } }
				subscriptions(first: 20) { totalCount edges { node { id sku { code } status quantity } } } } } } }`, 4},
			{"deeper list page", `query($first: Int!) { enrollments(first: $first) { totalCount edges { cursor node { id number status
				agreement { number customer { organizationName agreements(first: 5) { totalCount edges { node { number } } } } }
				subscriptions(first: 20) { totalCount edges { node { id sku { code } status quantity licensedQuantity enrollment { number } } } } } } } }`, 6},
		}
		for _, page := range pages {
			counts := map[int]int64{}
			for _, first := range []int{2, 7} {
				c := &models.StatementCounter{Keep: true}
				r := e.doCtx(models.CountStatements(context.Background(), c), w.Key, page.query, map[string]any{"first": first})
				if len(r.Errors) > 0 {
					t.Fatalf("%s: %s", page.name, r.Raw)
				}
				if n := len(get(r.Data, "enrollments", "edges").([]any)); n != first {
					t.Fatalf("%s, first %d: %d enrollments", page.name, first, n)
				}
				counts[first] = c.Count()
				t.Logf("%s, first %d: %d statements", page.name, first, c.Count())
				if c.Count() > page.ceiling {
					t.Errorf("%s, first %d: %d statements, at most %d:\n%s", page.name, first, c.Count(), page.ceiling, strings.Join(c.Statements(), "\n"))
				}
			}
			if counts[2] != counts[7] {
				t.Errorf("%s: statements for a page of 2: %d, of 7: %d; they must not depend on the page size", page.name, counts[2], counts[7])
			}
		}
	})
}

// The front-end's detail page (the query cmd/readbench measures): an enrollment on its account
// with its emails, subscriptions and activationStatus (R-ACT-12) costs a fixed number of
// statements on both stores: the page's fields read as for a list's items (a nested page and
// its count in one statement, the subscriptions' with their changes), and the status's facts in
// one (orders, reservations, emails, subscriptions and the latest processing of their SKUs, the
// account's domains, administrators and SKUs). The enrollment is read with its agreement,
// customer and account (one joined statement), which the page and the status then share
// (models/memo.go).
func TestStatementsPerDetailPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.provisionedWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1", "fabrikam.com")
		e.buyToday(w.Key, "ENR-1", "o1", "O365-E3", 10, "INTUNE", 5)
		const detail = `query($n: String!) { enrollment(number: $n) { id number organizationName status osm { name email }
			agreement { number program customer { organizationName } } account { name country }
			activationEmails(first: 10) { edges { node { recipient trigger scheduledAt sentAt } } }
			subscriptions(first: 20) { totalCount edges { node { id sku { code } status quantity pendingQuantity licensedQuantity } } } }
			activationStatus(enrollmentNumber: $n) { state reasons { code message action changesAt } } }`
		c := &models.StatementCounter{Keep: true}
		r := e.doCtx(models.CountStatements(context.Background(), c), w.Key, detail, map[string]any{"n": "ENR-1"})
		if len(r.Errors) > 0 {
			t.Fatalf("detail page: %s", r.Raw)
		}
		if get(r.Data, "enrollment", "account") == nil {
			t.Fatalf("the enrollment is not on its account: %s", r.Raw)
		}
		t.Logf("detail page: %d statements", c.Count())
		if c.Count() > 4 {
			t.Errorf("detail page: %d statements, at most 4:\n%s", c.Count(), strings.Join(c.Statements(), "\n"))
		}
	})
}
