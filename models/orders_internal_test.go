package models

// White-box tests of the ledger's transactions: a failure half-way through an order writes
// nothing (R-ORD-1), and concurrent quantity changes serialize on the subscription row. They
// open stores directly (testenv imports this package): SQLite always, MySQL/MariaDB too when
// TEST_MYSQL_DSN is set.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

var ordersNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// concurrentStore is MySQL when TEST_MYSQL_DSN is set, SQLite otherwise.
func concurrentStore(t *testing.T) *Store {
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		return mysqlTestStore(t, dsn)
	}
	t.Log("TEST_MYSQL_DSN not set: running on SQLite, where writers are serialized")
	return sqliteTestStore(t)
}

// ordersCase runs fn as the subtest name on every store, each with seedOrders' reseller (its
// caller) and enrollment.
func ordersCase(t *testing.T, name string, fn func(t *testing.T, s *Store, c Caller, e *Enrollment)) {
	t.Run(name, func(t *testing.T) {
		eachTestStore(t, func(t *testing.T, s *Store) {
			c, e := seedOrders(t, s)
			fn(t, s, c, e)
		})
	})
}

// seedOrders makes a reseller with an ENTERPRISE agreement and one enrollment.
func seedOrders(t *testing.T, s *Store) (Caller, *Enrollment) {
	t.Helper()
	ctx := context.Background()
	d := func(v string) licensing.Date { x, _ := licensing.ParseDate(v); return x }
	r, err := s.CreateReseller(ctx, licensing.ResellerDraft{Name: "Contoso"}, ordersNow)
	if err != nil {
		t.Fatal(err)
	}
	c := Caller{Role: RoleReseller, ResellerID: r.ID}
	cu, err := s.CreateCustomer(ctx, c, nil, licensing.CustomerDraft{OrganizationName: "Fabrikam", Country: "US"}, ordersNow)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateAgreement(ctx, c, cu.ID, licensing.AgreementDraft{Program: "ENTERPRISE", Number: "EA-1",
		StartDate: d("2026-01-01"), AnniversaryDate: d("2027-01-01"), Contacts: []licensing.ContactDraft{
			{Name: "Vic", Email: "vic@fabrikam.com", Roles: []licensing.ContactRole{licensing.RoleVLSCAdministrator}}}}, ordersNow)
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.CreateEnrollment(ctx, c, a.ID, licensing.EnrollmentDraft{Number: "ENR-1", OrganizationName: "Fabrikam",
		OSMName: "Olivia", OSMEmail: "olivia@fabrikam.com", StartDate: d("2026-01-01"), EndDate: d("2028-12-31")}, ordersNow)
	if err != nil {
		t.Fatal(err)
	}
	return c, e
}

func orderDraft(key string, lines ...licensing.OrderLineDraft) licensing.OrderDraft {
	d := licensing.DateOf(ordersNow)
	return licensing.OrderDraft{EnrollmentNumber: "ENR-1", Lines: lines, PurchaseDate: d, UsageStartDate: d, IdempotencyKey: key}
}

var fourLines = []licensing.OrderLineDraft{{SKU: "O365-E1", Quantity: 1}, {SKU: "O365-E3", Quantity: 2}, {SKU: "O365-E5", Quantity: 3}, {SKU: "INTUNE", Quantity: 4}}

func countRows(t *testing.T, s *Store, table string, resellerID int64) int64 {
	t.Helper()
	var n int64
	if err := s.db.Table(table).Where("reseller_id = ?", resellerID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// quantities returns the enrollment's subscription rows' quantities by SKU.
func quantities(t *testing.T, s *Store, e *Enrollment) map[string]int {
	t.Helper()
	var subs []Subscription
	if err := s.db.Where("reseller_id = ? AND enrollment_id = ?", e.ResellerID, e.ID).Find(&subs).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, sub := range subs {
		out[sub.SKU] = sub.Quantity
	}
	return out
}

var errInjected = errors.New("injected failure")

// failOn registers a callback on s.db that fails a create or update statement (kind)
// when match says so; it is removed when the test ends or when the returned func is called.
func failOn(t *testing.T, s *Store, kind, before string, match func(db *gorm.DB) bool) (remove func()) {
	t.Helper()
	const name = "ledger_test:fail"
	fn := func(db *gorm.DB) {
		if match(db) {
			_ = db.AddError(errInjected)
		}
	}
	var err error
	switch kind {
	case "create":
		err = s.db.Callback().Create().Before(before).Register(name, fn)
		remove = func() { _ = s.db.Callback().Create().Remove(name) }
	case "update":
		err = s.db.Callback().Update().Before(before).Register(name, fn)
		remove = func() { _ = s.db.Callback().Update().Remove(name) }
	default:
		t.Fatalf("unknown callback kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	r := remove
	remove = func() { once.Do(r) }
	t.Cleanup(remove)
	return remove
}

func TestLedgerAtomicity(t *testing.T) {
	ordersCase(t, "R-ORD-1_failed_third_line_leaves_no_order", func(t *testing.T, s *Store, c Caller, _ *Enrollment) {
		ctx := context.Background()
		remove := failOn(t, s, "create", "gorm:create", func(db *gorm.DB) bool {
			l, ok := db.Statement.Dest.(*OrderLine)
			return db.Statement.Table == "order_lines" && ok && l.LineNo == 3
		})
		o, err := s.CreateOrder(ctx, c, orderDraft("k1", fourLines...), ordersNow)
		if !errors.Is(err, errInjected) {
			t.Fatalf("CreateOrder with a failing third line: order %v, err %v; want the injected error", o, err)
		}
		if n := countRows(t, s, "orders", c.ResellerID); n != 0 {
			t.Fatalf("%d orders left after a failed create", n)
		}
		if n := countRows(t, s, "order_lines", c.ResellerID); n != 0 {
			t.Fatalf("%d order lines left after a failed create", n)
		}
		// The key was not taken: the same call succeeds once the failure is gone.
		remove()
		o, err = s.CreateOrder(ctx, c, orderDraft("k1", fourLines...), ordersNow)
		if err != nil || o.Status != licensing.OrderPlaced {
			t.Fatalf("CreateOrder after the failure: %v, %v", o, err)
		}
		if n := countRows(t, s, "order_lines", c.ResellerID); n != 4 {
			t.Fatalf("%d order lines, want 4", n)
		}
	})

	ordersCase(t, "R-ORD-1_failed_third_subscription_update_leaves_order_placed", func(t *testing.T, s *Store, c Caller, e *Enrollment) {
		ctx := context.Background()
		op := Caller{Role: RoleOperator}
		first, err := s.CreateOrder(ctx, c, orderDraft("first", fourLines...), ordersNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProcessOrder(ctx, op, first.ID, ordersNow); err != nil {
			t.Fatal(err)
		}
		before := quantities(t, s, e)
		if want := map[string]int{"O365-E1": 1, "O365-E3": 2, "O365-E5": 3, "INTUNE": 4}; fmt.Sprint(before) != fmt.Sprint(want) {
			t.Fatalf("quantities after the first order: %v, want %v", before, want)
		}
		changes := countRows(t, s, "subscription_changes", c.ResellerID)
		second, err := s.CreateOrder(ctx, c, orderDraft("second", fourLines...), ordersNow)
		if err != nil {
			t.Fatal(err)
		}

		var mu sync.Mutex
		updates := 0
		remove := failOn(t, s, "update", "gorm:update", func(db *gorm.DB) bool {
			m, ok := db.Statement.Dest.(map[string]any)
			if db.Statement.Table != "subscriptions" || !ok {
				return false
			}
			if _, ok := m["quantity"]; !ok {
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			updates++
			return updates == 3
		})
		later := ordersNow.Add(time.Hour)
		if _, err := s.ProcessOrder(ctx, op, second.ID, later); !errors.Is(err, errInjected) {
			t.Fatalf("ProcessOrder with a failing third update: err %v; want the injected error (updates seen: %d)", err, updates)
		}
		var o Order
		if err := s.db.Where("id = ?", second.ID).Take(&o).Error; err != nil {
			t.Fatal(err)
		}
		if o.Status != licensing.OrderPlaced || o.ProcessedAt != nil {
			t.Fatalf("order after a failed processing: status %s processedAt %v, want PLACED and none", o.Status, o.ProcessedAt)
		}
		if after := quantities(t, s, e); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("quantities changed by a failed processing: %v, were %v", after, before)
		}
		if n := countRows(t, s, "subscription_changes", c.ResellerID); n != changes {
			t.Fatalf("subscription_changes %d after a failed processing, were %d", n, changes)
		}
		// Still PLACED, so it can be processed once the failure is gone.
		remove()
		if _, err := s.ProcessOrder(ctx, op, second.ID, later); err != nil {
			t.Fatalf("ProcessOrder after the failure: %v", err)
		}
		if after, want := quantities(t, s, e), map[string]int{"O365-E1": 2, "O365-E3": 4, "O365-E5": 6, "INTUNE": 8}; fmt.Sprint(after) != fmt.Sprint(want) {
			t.Fatalf("quantities after processing: %v, want %v", after, want)
		}
	})

	ordersCase(t, "R-ORD-1_failed_third_new_subscription_creates_none", func(t *testing.T, s *Store, c Caller, e *Enrollment) {
		ctx := context.Background()
		o, err := s.CreateOrder(ctx, c, orderDraft("k", fourLines...), ordersNow)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		creates := 0
		failOn(t, s, "create", "gorm:create", func(db *gorm.DB) bool {
			if db.Statement.Table != "subscriptions" {
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			creates++
			return creates == 3
		})
		if _, err := s.ProcessOrder(ctx, Caller{Role: RoleOperator}, o.ID, ordersNow); !errors.Is(err, errInjected) {
			t.Fatalf("ProcessOrder with a failing third subscription: err %v", err)
		}
		if q := quantities(t, s, e); len(q) != 0 {
			t.Fatalf("subscriptions left by a failed processing: %v", q)
		}
		if n := countRows(t, s, "subscription_changes", c.ResellerID); n != 0 {
			t.Fatalf("%d subscription_changes left by a failed processing", n)
		}
	})
}

// TestLedgerConcurrencyChangeLog replays the change log of a subscription changed by concurrent
// processOrder (+1) and setSubscriptionQuantity (new totals) calls. A change's id is drawn
// while its transaction holds the subscription row's lock, so id order is the order the
// changes were applied in: after every SET_QUANTITY change the running sum must be exactly
// the total that call asked for (the delta was computed from the current quantity, not a
// stale one), every order adds exactly its quantity, and the row equals the sum (R-SUB-7, R-ORD-1).
func TestLedgerConcurrencyChangeLog(t *testing.T) {
	t.Run("R-SUB-7_concurrent_set_and_process_serialize_on_the_row", func(t *testing.T) {
		s := concurrentStore(t)
		ctx := context.Background()
		c, e := seedOrders(t, s)
		op := Caller{Role: RoleOperator}
		start, err := s.CreateOrder(ctx, c, orderDraft("start", licensing.OrderLineDraft{SKU: "O365-E3", Quantity: 10}), ordersNow)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ProcessOrder(ctx, op, start.ID, ordersNow); err != nil {
			t.Fatal(err)
		}
		var sub Subscription
		if err := s.db.Where("enrollment_id = ? AND sku = ?", e.ID, "O365-E3").Take(&sub).Error; err != nil {
			t.Fatal(err)
		}
		const n = 25
		orders := make([]int64, n)
		for i := range orders {
			o, err := s.CreateOrder(ctx, c, orderDraft(fmt.Sprintf("p%d", i), licensing.OrderLineDraft{SKU: "O365-E3", Quantity: 1}), ordersNow)
			if err != nil {
				t.Fatal(err)
			}
			orders[i] = o.ID
		}
		startCh := make(chan struct{})
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		for i := 0; i < 2*n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-startCh
				if i < n {
					_, errs[i] = s.ProcessOrder(ctx, op, orders[i], ordersNow)
				} else {
					_, errs[i] = s.SetSubscriptionQuantity(ctx, c, sub.ID, 1000*(i-n+1), false, ordersNow)
				}
			}(i)
		}
		close(startCh)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
		}
		if t.Failed() {
			t.FailNow()
		}

		var log []SubscriptionChange
		if err := s.db.Where("subscription_id = ?", sub.ID).Order("id").Find(&log).Error; err != nil {
			t.Fatal(err)
		}
		if len(log) != 1+2*n {
			t.Fatalf("%d changes, want %d", len(log), 1+2*n)
		}
		running, sets := 0, []int{}
		for i, ch := range log {
			running += ch.Delta
			switch ch.Cause {
			case CauseOrder:
				if want := map[bool]int{true: 10, false: 1}[i == 0]; ch.Delta != want {
					t.Fatalf("change %d: order delta %d, want %d", i, ch.Delta, want)
				}
			case CauseSetQuantity:
				if running%1000 != 0 || running < 1000 || running > 1000*n {
					t.Fatalf("change %d: after a SET_QUANTITY the running quantity is %d, not a requested total (lost update: the delta %d was computed from a stale quantity)", i, running, ch.Delta)
				}
				sets = append(sets, running)
			default:
				t.Fatalf("change %d: unexpected cause %s", i, ch.Cause)
			}
		}
		sort.Ints(sets)
		for i, total := range sets {
			if total != 1000*(i+1) {
				t.Fatalf("the set totals applied are %v, want each of 1000..%d once", sets, 1000*n)
			}
		}
		var row Subscription
		if err := s.db.Where("id = ?", sub.ID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Quantity != running {
			t.Fatalf("row quantity %d, change log sums to %d", row.Quantity, running)
		}
	})
}
