package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/apitest"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// The hand-written detail page answers what the API answers (R-ACT-12, R-ORD-5, R-RES-4,
// R-SUB-2): on the demo data with orders processed (one provisioned onto an account by its OSM's
// domain, one Open Value without OSM, one whose email is sent), a reservation, a renewal ahead of
// its term and an order only placed, every enrollment at instants before, during and after the
// pending periods, the 48 hours of the email and the 25 hours of the reservation.
func TestRawDetailAnswersWhatTheAPIAnswers(t *testing.T) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: the hand-written pages are MySQL's SQL")
	}
	url := testdb.MySQL(t, dsn)
	store := testenv.Open(t, url)
	api := apitest.Start(t, store, nil)
	db := openSQL(t, url)
	t0 := apitest.Now.Add(-30 * time.Hour)
	numbers := detailFixtures(t, store, db, t0)
	raw, err := newRawDetail(context.Background(), db, resellerOf(t, db))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(raw)
	t.Cleanup(srv.Close)
	b := &bench{client: http.DefaultClient, key: api.ResellerKey}
	instants := []time.Time{t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(11 * time.Hour), t0.Add(13 * time.Hour), t0.Add(26 * time.Hour),
		apitest.Now, t0.Add(50 * time.Hour), t0.Add(24 * 200 * time.Hour), t0.Add(24 * 900 * time.Hour)}
	for _, n := range append(numbers, "ENR-1000001", "ENR-2000001", "NO-SUCH-ENROLLMENT") {
		for _, at := range instants {
			vars := map[string]any{"n": n, "asOf": at.Format(time.RFC3339Nano)}
			if err := sameData(b, detailPageQuery, api.URL, srv.URL, vars); err != nil {
				t.Errorf("%s as of %s: %v", n, at, err)
			}
		}
	}
	if err := sameData(b, detailPageQuery, api.URL, srv.URL, map[string]any{"n": "ENR-1000001"}); err != nil {
		t.Errorf("without asOf (now on both sides): %v", err)
	}
	// The check can fail: the raw side asked about another instant answers other data.
	shifted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]map[string]any
		_ = json.NewDecoder(r.Body).Decode(&req)
		req["variables"]["asOf"] = t0.Add(-time.Hour).Format(time.RFC3339Nano)
		body, _ := json.Marshal(req)
		r.Body = io.NopCloser(bytes.NewReader(body))
		raw.ServeHTTP(w, r)
	}))
	t.Cleanup(shifted.Close)
	if err := sameData(b, detailPageQuery, api.URL, shifted.URL, map[string]any{"n": "ENR-1000001", "asOf": t0.Add(time.Hour).Format(time.RFC3339Nano)}); err == nil {
		t.Error("sameData found no difference between the page one hour before and one hour after processing")
	}
}

// detailFixtures writes the orders, reservation and renewal of the test through the models and
// returns the numbers of the enrollments it creates.
func detailFixtures(t *testing.T, s *models.Store, db *sql.DB, t0 time.Time) []string {
	t.Helper()
	ctx := context.Background()
	reseller := resellerOf(t, db)
	c, op := models.Caller{Role: models.RoleReseller, ResellerID: reseller}, models.Caller{Role: models.RoleOperator}
	day := licensing.DateOf(t0)
	buy := func(number, key string, process bool, lines ...licensing.OrderLineDraft) {
		o, err := s.CreateOrder(ctx, c, licensing.OrderDraft{EnrollmentNumber: number, Lines: lines, PurchaseDate: day, UsageStartDate: day, IdempotencyKey: key}, t0)
		if err != nil {
			t.Fatalf("order %s: %v", key, err)
		}
		if process {
			if _, err := s.ProcessOrder(ctx, op, o.ID, t0); err != nil {
				t.Fatalf("process %s: %v", key, err)
			}
		}
	}
	buy("ENR-1000001", "o1", true, licensing.OrderLineDraft{SKU: "O365-E3", Quantity: 10}, licensing.OrderLineDraft{SKU: "INTUNE", Quantity: 3})
	buy("ENR-2000001", "o2", true, licensing.OrderLineDraft{SKU: "O365-E1", Quantity: 5})
	if _, err := s.CreateReservation(ctx, c, licensing.ReservationDraft{EnrollmentNumber: "ENR-1000001", SKU: "O365-E3", Quantity: 5,
		ContactEmail: "vic@fabrikam.com", IdempotencyKey: "r1"}, t0.Add(time.Hour)); err != nil {
		t.Fatalf("reservation: %v", err)
	}
	var agreement int64
	if err := db.QueryRow("SELECT agreement_id FROM enrollments WHERE number = ?", "ENR-1000001").Scan(&agreement); err != nil {
		t.Fatal(err)
	}
	for _, e := range []licensing.EnrollmentDraft{
		{Number: "ENR-1000003", OrganizationName: "Fabrikam Labs", OSMName: "Pat", OSMEmail: "pat@partner.example"},
		{Number: "ENR-1000004", OrganizationName: "Fabrikam Sales", OSMEmail: ""},
	} {
		e.StartDate, e.EndDate = licensing.DateOf(t0.Add(-24*time.Hour)), licensing.DateOf(t0.Add(24*365*time.Hour))
		if _, err := s.CreateEnrollment(ctx, c, agreement, e, t0.Add(-time.Hour)); err != nil {
			t.Fatalf("enrollment %s: %v", e.Number, err)
		}
	}
	buy("ENR-1000003", "o3", true, licensing.OrderLineDraft{SKU: "O365-E5", Quantity: 2})
	buy("ENR-1000004", "o4", false, licensing.OrderLineDraft{SKU: "D365-SALES-PRO", Quantity: 4})
	start := licensing.DateOf(t0.Add(24 * 10 * time.Hour))
	if _, err := s.RenewEnrollment(ctx, c, models.RenewalRequest{EnrollmentNumber: "ENR-1000003", NewNumber: "ENR-1000005", StartDate: start,
		EndDate: licensing.DateOf(t0.Add(24 * 800 * time.Hour))}, 30*24*time.Hour, t0.Add(2*time.Hour)); err != nil {
		t.Fatalf("renewal: %v", err)
	}
	return []string{"ENR-1000003", "ENR-1000004", "ENR-1000005"}
}

func resellerOf(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow("SELECT id FROM resellers").Scan(&id); err != nil {
		t.Fatalf("reseller: %v", err)
	}
	return id
}

// openSQL opens the database of a mysql:// URL with the DSN the API uses, as readbench does.
func openSQL(t *testing.T, url string) *sql.DB {
	t.Helper()
	_, dsn, err := models.ParseDatabaseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	return testdb.OpenSQL(t, "mysql", dsn)
}
