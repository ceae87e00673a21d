package models

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// A request's independent reads run at the same time while the process serves no more requests
// than it has cores, and one after the other beyond that (SpreadReads); either way every read
// runs and their errors come back.
func TestConcurrentReadsOnlyWhenTheProcessIsNotBusy(t *testing.T) {
	s := sqliteTestStore(t)
	// overlap runs two reads that each wait a little for the other to start, and tells whether
	// they overlapped.
	overlap := func() (bool, error) {
		var active, most atomic.Int32
		read := func() error {
			n := active.Add(1)
			defer active.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			deadline := time.Now().Add(200 * time.Millisecond)
			for active.Load() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			return nil
		}
		err := s.concurrently(read, read)
		return most.Load() == 2, err
	}

	done := s.Serving()
	if !s.SpreadReads() {
		t.Fatal("one request in flight: its reads should spread")
	}
	if both, err := overlap(); !both || err != nil {
		t.Fatalf("one request in flight: reads overlapped %v (want true), %v", both, err)
	}
	var dones []func()
	for range runtime.GOMAXPROCS(0) {
		dones = append(dones, s.Serving())
	}
	if s.SpreadReads() {
		t.Fatalf("%d requests in flight on %d cores: reads should not spread", len(dones)+1, runtime.GOMAXPROCS(0))
	}
	if both, err := overlap(); both || err != nil {
		t.Fatalf("busy: reads overlapped %v (want false), %v", both, err)
	}
	failing := errors.New("read failed")
	ran := 0
	if err := s.concurrently(func() error { ran++; return nil }, func() error { ran++; return failing }); !errors.Is(err, failing) || ran != 2 {
		t.Fatalf("busy: %d reads ran, error %v; want 2 and the failure", ran, err)
	}
	for _, d := range dones {
		d()
	}
	done()
	if !s.SpreadReads() {
		t.Fatal("after the requests ended: reads should spread again")
	}
}

// Issue 11: fixed-shape reads outside a transaction run as server-side prepared statements,
// prepared once per connection and reused; in a transaction they stay text (Galera, see
// ParseDatabaseURL). Read off the connection's own counters, with a pool of one connection.
func TestPreparedReadsOutsideTransactionsOnly(t *testing.T) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("prepared statements are MariaDB's: set TEST_MYSQL_DSN")
	}
	s := mysqlTestStore(t, dsn)
	pool, err := s.sqlDB()
	if err != nil {
		t.Fatal(err)
	}
	pool.SetMaxOpenConns(1)
	ctx := context.Background()
	c := Caller{Role: RoleReseller, ResellerID: 1}
	counters := func() (prepared, executed int64) {
		t.Helper()
		var rows []struct {
			Name  string `gorm:"column:Variable_name"`
			Value int64  `gorm:"column:Value"`
		}
		if err := s.db.WithContext(ctx).Raw("SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')").Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Name == "Com_stmt_prepare" {
				prepared = r.Value
			} else {
				executed = r.Value
			}
		}
		return prepared, executed
	}
	read := func(s *Store) {
		t.Helper()
		for _, number := range []string{"ENR-1", "ENR-2", "ENR-3"} {
			if _, err := s.EnrollmentByNumber(ctx, c, number); !errors.Is(err, ErrNotFound) {
				t.Fatalf("enrollment %s: %v, want not found", number, err)
			}
		}
	}
	p0, e0 := counters()
	read(s)
	p1, e1 := counters()
	if p1-p0 != 1 || e1-e0 != 3 {
		t.Errorf("three reads of one shape outside a transaction: %d prepared, %d executed; want 1 and 3", p1-p0, e1-e0)
	}
	if err := s.InTx(ctx, func(tx *Store) error { read(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	p2, e2 := counters()
	if p2 != p1 || e2 != e1 {
		t.Errorf("in a transaction: %d prepared, %d executed; want none", p2-p1, e2-e1)
	}
}
