package e2e

// Concurrency of the ledger through the real HTTP handler: many clients at once, on MariaDB in
// CI (testenv.MySQLOnly; on SQLite, where writers are serialized, when no TEST_MYSQL_DSN is set).

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/concurrent"
)

// allConcurrently runs fn(0..n-1) at once (released together) and returns every error.
func allConcurrently(n int, fn func(i int) error) []error {
	var out []error
	for i, err := range concurrent.AllAtOnce(n, fn) {
		if err != nil {
			out = append(out, fmt.Errorf("call %d: %w", i, err))
		}
	}
	return out
}

// oneObject sends the same mutation n times at once, none refused, and checks that every caller
// got the same object (the payload's field), whose ids it returns.
func oneObject(t *testing.T, c *liveClient, key string, n int, doc string, in map[string]any, field string) []string {
	t.Helper()
	ids := make([]string, n)
	noErrors(t, allConcurrently(n, func(i int) error {
		p, err := c.payload(key, doc, in)
		if err == nil {
			ids[i] = str(p, field, "id")
		}
		return err
	}))
	for i, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("caller %d got %s %q, caller 0 got %q", i, field, id, ids[0])
		}
	}
	return ids
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		t.Fatalf("%d concurrent calls failed:\n%s", len(errs), strings.Join(msgs, "\n"))
	}
}

// dbID decodes a global ID (test-only: clients treat IDs as opaque).
func dbID(t *testing.T, gid string) int64 {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	_, num, ok := strings.Cut(string(raw), ":")
	id, perr := strconv.ParseInt(num, 10, 64)
	if err != nil || !ok || perr != nil {
		t.Fatalf("not a global ID: %q", gid)
	}
	return id
}

// rowMatchesLog checks, through the store, that a subscription row's running quantity
// equals the sum of its change log (what subscriptions(asOf:) reports), and returns it.
func rowMatchesLog(t *testing.T, e *env, gid string) int {
	t.Helper()
	v, err := e.Store.SubscriptionAsOf(context.Background(), models.Caller{Role: models.RoleOperator}, dbID(t, gid), t0.AddDate(10, 0, 0))
	if err != nil {
		t.Fatalf("SubscriptionAsOf: %v", err)
	}
	if v.Quantity != v.QuantityAsOf {
		t.Fatalf("subscription %s: row quantity %d, but its change log sums to %d", v.SKU, v.Quantity, v.QuantityAsOf)
	}
	return v.Quantity
}

func TestOrdersAndSubscriptionsConcurrency(t *testing.T) {
	t.Run("R-ORD-2_one_key_50_concurrent_creates_make_one_order", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e := newEnv(t, s)
			c := newLiveClient(t, e)
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
			in := vars(orderIn("ENR-1", "one-key", orderLines("O365-E3", 10, "INTUNE", 2)))
			ids := oneObject(t, c, w.Key, 50, createOrderDoc, in, "order")
			if n := e.ordersTotal(w.Key); n != 1 {
				t.Fatalf("orders totalCount %d, want 1", n)
			}
			o := e.ok(w.Key, `query($f: OrderFilter) { orders(filter: $f) { edges { node { id lines { sku { code } quantity } } } } }`, map[string]any{"f": nil})
			if str(o, "orders", "edges", 0, "node", "id") != ids[0] || len(get(o, "orders", "edges", 0, "node", "lines").([]any)) != 2 {
				t.Fatalf("the one order: %v", o)
			}
		})
	})

	t.Run("R-RES-4_one_key_20_concurrent_reservations_reserve_once", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e := newEnv(t, s)
			c := newLiveClient(t, e)
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
			in := vars(reservationIn("ENR-1", "O365-E3", 7, "vic@fabrikam.com", "one-key"))
			oneObject(t, c, w.Key, 20, createReservationDoc, in, "reservation")
			if n := e.totalCount(w.Key, reservationsDoc, "reservations", map[string]any{"f": nil, "at": nil}); n != 1 {
				t.Fatalf("reservations totalCount %d, want 1", n)
			}
			subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
			wantSub(t, subs["O365-E3"], "ACTIVE", 7, 0, 7)
			rowMatchesLog(t, e, str(subs["O365-E3"], "id"))
		})
	})

	t.Run("R-SUB-7_concurrent_set_quantity_and_process_order_lose_no_update", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e := newEnv(t, s)
			c := newLiveClient(t, e)
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
			e.buy(w.Key, "ENR-1", "start", t0Day, t0Day, "O365-E3", 10)
			subs, _ := e.subsBySKU(w.Key, "ENR-1", time.Time{})
			sub := str(subs["O365-E3"], "id")
			const n = 20
			orders := make([]string, n)
			for i := range orders {
				orders[i] = str(e.place(w.Key, "ENR-1", fmt.Sprintf("plus-one-%d", i), t0Day, t0Day, "O365-E3", 1), "id")
			}
			// Calls 0..n-1 process a +1 order; calls n..2n-1 set the total to 1000, 2000, ... 20000.
			noErrors(t, allConcurrently(2*n, func(i int) error {
				if i < n {
					_, err := c.payload(e.Operator, processOrderDoc, map[string]any{"id": orders[i]})
					return err
				}
				_, err := c.payload(w.Key, setQuantityDoc, map[string]any{"id": sub, "q": 1000 * (i - n + 1)})
				return err
			}))
			if got := e.totalCount(w.Key, ordersDoc, "orders", map[string]any{"f": map[string]any{"status": "PROCESSED"}}); got != n+1 {
				t.Fatalf("%d orders PROCESSED, want %d", got, n+1)
			}
			subs, count := e.subsBySKU(w.Key, "ENR-1", t0.AddDate(0, 0, 1))
			if count != 1 {
				t.Fatalf("subscriptions: %v", subs)
			}
			q := num(subs["O365-E3"], "quantity")
			// The last total set wins, plus the +1 orders processed after it: 1000*k + m, m <= 20.
			if q/1000 < 1 || q/1000 > n || q%1000 > n {
				t.Fatalf("final quantity %d is not a set total plus at most %d later orders", q, n)
			}
			if row := rowMatchesLog(t, e, sub); row != q {
				t.Fatalf("row quantity %d, API quantity %d", row, q)
			}
		})
	})

	t.Run("R-ORD-1_concurrent_processing_of_a_new_sku_makes_one_subscription", func(t *testing.T) {
		testenv.MySQLOnly(t, func(t *testing.T, s *models.Store) {
			e := newEnv(t, s)
			c := newLiveClient(t, e)
			w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-0")
			skus := []string{"O365-E1", "O365-E3", "O365-E5", "INTUNE"}
			for round := 1; round <= 5; round++ {
				enr := fmt.Sprintf("ENR-%d", round)
				e.enrollTerm(w.Key, w.AgreementID, enr, "olivia@fabrikam.com", "2026-01-01", "2028-12-31")
				// Two orders per SKU, none subscribed yet: 3+5 of each, all processed at once.
				var orders []string
				for _, sku := range skus {
					for j, q := range []int{3, 5} {
						orders = append(orders, str(e.place(w.Key, enr, fmt.Sprintf("%s-%s-%d", enr, sku, j), t0Day, t0Day, sku, q), "id"))
					}
				}
				noErrors(t, allConcurrently(len(orders), func(i int) error {
					_, err := c.payload(e.Operator, processOrderDoc, map[string]any{"id": orders[i]})
					return err
				}))
				subs, count := e.subsBySKU(w.Key, enr, t0.AddDate(0, 0, 1))
				if count != len(skus) {
					t.Fatalf("%s: %d subscriptions, want one per SKU (%d): %v", enr, count, len(skus), subs)
				}
				for _, sku := range skus {
					wantSub(t, subs[sku], "ACTIVE", 8, 0, 8)
					rowMatchesLog(t, e, str(subs[sku], "id"))
				}
			}
		})
	})
}
