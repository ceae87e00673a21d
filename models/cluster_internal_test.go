package models

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/licensing"
	"github.com/licensing-api/licensing-api/testenv/testdb"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Store infrastructure for running on several nodes (issue 12): transaction retries, the read
// replica, waiting for the database at start, readiness, SQL spans.

func TestRetryCauses(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}, "deadlock"},
		{&mysql.MySQLError{Number: 1205}, "lock_wait_timeout"},
		{&mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, "node_not_ready"},
		{fmt.Errorf("commit: %w", &mysql.MySQLError{Number: 1180}), "commit_failed"},
		{errors.New("database is locked (5) (SQLITE_BUSY)"), "sqlite_busy"},
		{fmt.Errorf("lost: %w", errRetry), "conflict"},
		{&mysql.MySQLError{Number: 1062}, ""},
		{errors.New("some fault"), ""},
		{nil, ""},
	} {
		if got := causeNames[retryCause(c.err)]; got != c.want {
			t.Errorf("retryCause(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// A transaction that keeps failing for a retryable cause runs txAttempts times, then its error
// is returned as one the API answers 503; the retries are counted by cause.
func TestInTxRetriesABoundedNumberOfTimes(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		for _, code := range []uint16{1213, 1205, 1047, 1180} {
			runs := 0
			start := time.Now()
			err := s.InTx(context.Background(), func(tx *Store) error {
				runs++
				return &mysql.MySQLError{Number: code, Message: "injected"}
			})
			if runs != txAttempts {
				t.Errorf("%d: ran %d times, want %d", code, runs, txAttempts)
			}
			if !IsUnavailable(err) {
				t.Errorf("%d: the final error %v is not unavailable (503)", code, err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%d: retries took %s", code, d)
			}
		}
		got := map[string]RetryCount{}
		for _, r := range s.Stats().Retries {
			got[r.Cause] = r
		}
		for _, c := range []string{"deadlock", "lock_wait_timeout", "node_not_ready", "commit_failed"} {
			if got[c].Retried != txAttempts-1 || got[c].GaveUp != 1 {
				t.Errorf("%s: counted %+v, want %d retries and 1 given up", c, got[c], txAttempts-1)
			}
		}
	})
}

func TestInTxRetrySucceedsAndFaultsAreNotRetried(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		runs := 0
		err := s.InTx(ctx, func(tx *Store) error {
			runs++
			if _, err := tx.CreateReseller(ctx, licensing.ResellerDraft{Name: fmt.Sprint("run ", runs)}, time.Now()); err != nil {
				return err
			}
			if runs < 3 {
				return &mysql.MySQLError{Number: 1213, Message: "certification failure"}
			}
			return nil
		})
		if err != nil || runs != 3 {
			t.Fatalf("InTx: %v after %d runs, want success on the third", err, runs)
		}
		l, err := s.Resellers(ctx, Caller{Role: RoleOperator}, Page{First: 10})
		if err != nil || len(l.Items) != 1 || l.Items[0].Name != "run 3" {
			t.Fatalf("the failed runs left writes behind: %+v, %v", l, err)
		}
		runs = 0
		fault := errors.New("a fault")
		if err := s.InTx(ctx, func(*Store) error { runs++; return fault }); !errors.Is(err, fault) || runs != 1 {
			t.Fatalf("a fault: %v after %d runs, want it once", err, runs)
		}
	})
}

// Reads marked ReadReplica go to DATABASE_READ_URL; unmarked reads, writes and anything in a
// transaction go to the primary. The replica here is a second database with different rows,
// so each answer shows where it was read.
func TestReadReplicaServesOnlyMarkedReads(t *testing.T) {
	eachTwoDatabases(t, func(t *testing.T, primaryURL, readURL string) {
		ctx := context.Background()
		primary, replica := openTestStore(t, primaryURL), openTestStore(t, readURL)
		if _, err := replica.CreateReseller(ctx, licensing.ResellerDraft{Name: "only on the replica"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		_ = primary.Close()
		s, err := Open(ctx, Config{DatabaseURL: primaryURL, ReadURL: readURL})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		bi := ReadReplica(ctx)
		if _, err := s.CreateReseller(bi, licensing.ResellerDraft{Name: "written through a marked context"}, time.Now()); err != nil {
			t.Fatal(err)
		}
		names := func(ctx context.Context, st *Store) string {
			t.Helper()
			l, err := st.Resellers(ctx, Caller{Role: RoleOperator}, Page{First: 10})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range l.Items {
				out = append(out, r.Name)
			}
			return strings.Join(out, ",")
		}
		if got := names(bi, s); got != "only on the replica" {
			t.Errorf("a marked read saw %q, want the replica's row", got)
		}
		if got := names(ctx, s); got != "written through a marked context" {
			t.Errorf("an unmarked read saw %q, want the primary's row (the write went there)", got)
		}
		err = s.InTx(bi, func(tx *Store) error {
			if got := names(bi, tx); got != "written through a marked context" {
				t.Errorf("a marked read in a transaction saw %q, want the primary's", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if st := s.Stats(); st.Pools["read"].OpenConnections == 0 {
			t.Errorf("the read pool has no connection: %+v", st.Pools)
		}
	})
}

// eachTwoDatabases gives fn two fresh databases on every engine of the run.
func eachTwoDatabases(t *testing.T, fn func(t *testing.T, primaryURL, readURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, testdb.SQLite(t), testdb.SQLite(t)) })
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, testdb.MySQL(t, dsn), testdb.MySQL(t, dsn)) })
	}
}

func TestReadReplicaMustBeTheSameEngine(t *testing.T) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: this needs a MySQL URL next to a SQLite one")
	}
	_, err := Open(context.Background(), Config{DatabaseURL: testdb.SQLite(t), ReadURL: testdb.MySQL(t, dsn)})
	if err == nil || !strings.Contains(err.Error(), "same engine") {
		t.Fatalf("a MySQL replica of a SQLite store: %v", err)
	}
}

// With the database down, OpenWhenReady logs what it waits for, waits no longer than asked,
// and returns the reason.
func TestOpenWhenReadyWaitsABoundedTime(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens there now: connections are refused
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	start := time.Now()
	_, err = OpenWhenReady(context.Background(), Config{DatabaseURL: "mysql://app:s3cret@" + addr + "/licensing", Logger: log}, 1200*time.Millisecond)
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "not ready after") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("error %v, want one saying it waited and why", err)
	}
	if took < time.Second || took > 4*time.Second {
		t.Errorf("gave up after %s, want about 1.2 s", took)
	}
	out := logs.String()
	if n := strings.Count(out, `"msg":"waiting for the database"`); n < 2 {
		t.Errorf("logged %d waits, want several:\n%s", n, out)
	}
	if strings.Contains(out, "s3cret") || !strings.Contains(out, addr) {
		t.Errorf("the log must name the database without its password:\n%s", out)
	}
}

// mysqlDatabase makes a fresh database on the MySQL server of TEST_MYSQL_DSN, or skips the test
// that needs one (why); it returns the database's URL and the server's.
func mysqlDatabase(t *testing.T, why string) (*url.URL, string) {
	t.Helper()
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: " + why)
	}
	u, err := url.Parse(testdb.MySQL(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	return u, dsn
}

// A refused password will not get better by waiting: OpenWhenReady fails at once.
func TestOpenWhenReadyDoesNotWaitForAWrongPassword(t *testing.T) {
	u, _ := mysqlDatabase(t, "this needs a MySQL server to refuse a password")
	u.User = url.UserPassword("no_such_user", "wrong")
	start := time.Now()
	_, err := OpenWhenReady(context.Background(), Config{DatabaseURL: u.String()}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "Access denied") || time.Since(start) > 5*time.Second {
		t.Fatalf("wrong password: %v after %s, want a prompt failure", err, time.Since(start))
	}
}

// A database that is not there yet may be on its way (created through another cluster node):
// OpenWhenReady waits for it, and opens it once it is there.
func TestOpenWhenReadyWaitsForTheDatabaseToExist(t *testing.T) {
	u, dsn := mysqlDatabase(t, "this needs a MySQL server")
	later := "lt_later_" + strings.TrimPrefix(u.Path, "/lt_")
	_, admin, _ := ParseDatabaseURL(dsn)
	db, err := sql.Open("mysql", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE IF EXISTS " + later) })
	go func() {
		time.Sleep(700 * time.Millisecond)
		_, _ = db.Exec("CREATE DATABASE " + later)
	}()
	u.Path = "/" + later
	var logs bytes.Buffer
	s, err := OpenWhenReady(context.Background(), Config{DatabaseURL: u.String(), Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, 30*time.Second)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	_ = s.Close()
	if !strings.Contains(logs.String(), "Unknown database") {
		t.Errorf("the wait was not logged with its reason:\n%s", logs.String())
	}
}

func TestReadyOnAPlainServer(t *testing.T) {
	eachTestStore(t, func(t *testing.T, s *Store) {
		if s.Galera() {
			t.Fatal("a plain server detected as Galera")
		}
		if err := s.Ready(context.Background()); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		if err := s.Ready(context.Background()); err == nil || !IsUnavailable(err) {
			t.Fatalf("a closed store is ready: %v", err)
		}
	})
}

// SQL spans name the operation and table, never the statement text or its values.
func TestTraceSQL(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	ctx := context.Background()
	s, err := Open(ctx, Config{DatabaseURL: testdb.SQLite(t), TraceSQL: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const secret = "Tailspin Toys secret name"
	before := len(rec.Ended())
	if err := s.InTx(ctx, func(tx *Store) error {
		_, err := tx.CreateReseller(ctx, licensing.ResellerDraft{Name: secret}, time.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	spans := map[string]int{}
	for _, sp := range rec.Ended()[before:] {
		spans[sp.Name()]++
		for _, a := range sp.Attributes() {
			if strings.Contains(a.Value.Emit(), secret) {
				t.Errorf("span %s carries a value: %v", sp.Name(), a)
			}
		}
		if sp.Name() == "sql insert" {
			if !hasAttr(sp, "db.collection.name", "resellers") || sp.Parent().SpanID() == [8]byte{} {
				t.Errorf("the insert span has no table or no parent: %v, parent %v", sp.Attributes(), sp.Parent())
			}
		}
	}
	if spans["sql insert"] != 1 || spans["sql transaction"] != 1 {
		t.Fatalf("spans %v, want one insert in one transaction", spans)
	}
}

func hasAttr(sp sdktrace.ReadOnlySpan, key, value string) bool {
	for _, a := range sp.Attributes() {
		if string(a.Key) == key && a.Value.Emit() == value {
			return true
		}
	}
	return false
}
