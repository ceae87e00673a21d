package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/models"
)

// The statements of a request follow the shape of its query, not the size of its pages (issue
// 11): the front-end's list page, with nested pages two levels down, costs the same statements
// for a page of 2 as for a page of 20, on both stores.
func TestStatementsPerRequest(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		for i := 0; i < 6; i++ {
			number := fmt.Sprintf("ENR-%d", 100+i)
			e.enroll(w.Key, w.AgreementID, number, "Fabrikam", "olivia@fabrikam.com")
			e.buyToday(w.Key, number, "o"+number, "O365-E3", 10+i, "INTUNE", 5)
		}
		const list = `query($first: Int!) { enrollments(first: $first) { totalCount edges { cursor node { id number status
			agreement { number customer { organizationName agreements(first: 5) { totalCount edges { node { number } } } } }
			subscriptions(first: 20) { totalCount edges { node { id sku { code } status quantity licensedQuantity enrollment { number } } } } } } } }`
		counts := map[int]int64{}
		for _, first := range []int{2, 7} {
			c := &models.StatementCounter{Keep: true}
			r := e.doCtx(models.CountStatements(context.Background(), c), w.Key, list, map[string]any{"first": first})
			if len(r.Errors) > 0 {
				t.Fatalf("list page: %s", r.Raw)
			}
			if n := len(get(r.Data, "enrollments", "edges").([]any)); n != first {
				t.Fatalf("first %d: %d enrollments", first, n)
			}
			counts[first] = c.Count()
			t.Logf("first %d: %d statements", first, c.Count())
			if c.Count() > 8 {
				t.Errorf("first %d: %d statements:\n%s", first, c.Count(), strings.Join(c.Statements(), "\n"))
			}
		}
		if counts[2] != counts[7] {
			t.Errorf("statements for a page of 2: %d, of 7: %d; they must not depend on the page size", counts[2], counts[7])
		}
	})
}
