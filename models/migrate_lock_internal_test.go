package models

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/licensing-api/licensing-api/testenv/concurrent"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// race has every locker try the lock at once and returns the index of the one that took it,
// failing the test unless exactly one did.
func race(t *testing.T, ctx context.Context, round int, lockers []*migrationLock) int {
	t.Helper()
	took := concurrent.AllAtOnce(len(lockers), func(i int) bool {
		ok, err := lockers[i].tryAcquire(ctx)
		if err != nil {
			t.Errorf("locker %d: %v", i, err)
		}
		return ok
	})
	var winners []int
	for i, ok := range took {
		if ok {
			winners = append(winners, i)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("round %d: lockers %v hold the lock, want exactly one", round, winners)
	}
	return winners[0]
}

// heldLock is a testLock that has taken the lock.
func heldLock(t *testing.T, s *Store, url string, lease time.Duration) *migrationLock {
	t.Helper()
	l := testLock(t, s, url, lease)
	if ok, err := l.tryAcquire(context.Background()); !ok || err != nil {
		t.Fatalf("take: %v, %v", ok, err)
	}
	return l
}

// testLock is a migration lock over a pool of its own (another process, as far as the database
// can tell), with short timings.
func testLock(t *testing.T, s *Store, url string, lease time.Duration) *migrationLock {
	t.Helper()
	l := newMigrationLock(lockerDB(t, s, url), s.dialect, slog.New(slog.DiscardHandler))
	l.lease, l.renew, l.poll, l.wait = lease, lease/4, 20*time.Millisecond, 10*time.Second
	if err := l.ensureTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMigrationLockOneOfManyTakesIt(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		lockers := []*migrationLock{testLock(t, s, url, time.Minute), testLock(t, s, url, time.Minute), testLock(t, s, url, time.Minute)}
		for round := 0; round < 5; round++ {
			if err := lockers[race(t, ctx, round, lockers)].release(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestMigrationLockHoldersTakeTurns(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		var inside, most, ran atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			l := testLock(t, s, url, 2*time.Second)
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := l.hold(context.Background(), func(ctx context.Context) error {
					n := inside.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(150 * time.Millisecond)
					inside.Add(-1)
					ran.Add(1)
					return nil
				})
				if err != nil {
					t.Errorf("hold: %v", err)
				}
			}()
		}
		wg.Wait()
		if most.Load() != 1 || ran.Load() != 3 {
			t.Errorf("%d holders ran, at most %d at once; want 3, one at a time", ran.Load(), most.Load())
		}
	})
}

func TestMigrationLockStaleLeaseExpires(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		crashed := heldLock(t, s, url, 800*time.Millisecond)
		taken := time.Now()
		// It "crashes": no renewal, no release.
		next := testLock(t, s, url, 800*time.Millisecond)
		if ok, err := next.tryAcquire(ctx); ok || err != nil {
			t.Fatalf("a live lease was taken over: %v, %v", ok, err)
		}
		if err := next.acquire(ctx); err != nil {
			t.Fatalf("waiting for the stale lease: %v", err)
		}
		if waited := time.Since(taken); waited < 600*time.Millisecond {
			t.Errorf("took the lock %s after it was taken, before its lease of 800ms expired", waited)
		}
		if held, err := crashed.renewLease(ctx); held || err != nil {
			t.Errorf("the crashed locker still renews: %v, %v", held, err)
		}
		if err := crashed.release(ctx); err != nil {
			t.Fatal(err)
		}
		if owner, _ := next.holder(ctx); owner != next.owner {
			t.Errorf("the crashed locker's release freed the lock of %q: holder %q", next.owner, owner)
		}
	})
}

func TestMigrateTakesOverAStaleLease(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		crashed := heldLock(t, s, url, time.Minute)
		if err := s.db.Exec("UPDATE schema_lock SET lease_expires_ms = lease_expires_ms - 120000").Error; err != nil {
			t.Fatal(err) // its lease ended a minute ago
		}
		start := time.Now()
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate past a stale lease: %v", err)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("migrate took %s past a stale lease", d)
		}
		checkSchemaComplete(t, s)
		if owner, _ := crashed.holder(ctx); owner != "" {
			t.Errorf("the lock is still held by %q after migrate", owner)
		}
	})
}

func TestMigrationLockRenewsItsLease(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		holder := testLock(t, s, url, 600*time.Millisecond)
		other := testLock(t, s, url, 600*time.Millisecond)
		err := holder.hold(ctx, func(ctx context.Context) error {
			time.Sleep(1500 * time.Millisecond) // more than two leases: renewals keep it
			ok, err := other.tryAcquire(ctx)
			if ok || err != nil {
				t.Errorf("another locker took a renewed lease: %v, %v", ok, err)
			}
			return ctx.Err()
		})
		if err != nil {
			t.Fatalf("hold: %v", err)
		}
		if ok, err := other.tryAcquire(ctx); !ok || err != nil {
			t.Errorf("the lock was not released after hold: %v, %v", ok, err)
		}
	})
}

func TestMigrationLockLostLeaseStopsTheMigration(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		holder := testLock(t, s, url, 800*time.Millisecond)
		start := time.Now()
		err := holder.hold(ctx, func(ctx context.Context) error {
			// Another migrator took it over (as after a pause longer than the lease).
			if err := s.db.Exec("UPDATE schema_lock SET owner = 'thief'").Error; err != nil {
				t.Error(err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(5 * time.Second):
				return errors.New("not stopped")
			}
		})
		if !errors.Is(err, errLeaseLost) || strings.Contains(err.Error(), "not stopped") {
			t.Fatalf("hold after its lease was taken: %v, want errLeaseLost", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("noticed the lost lease after %s", d)
		}
		if owner, _ := holder.holder(ctx); owner != "thief" {
			t.Errorf("the loser released the new holder's lock: holder %q", owner)
		}
	})
}

func TestMigrationLockWaitIsBounded(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, url string) {
		ctx := context.Background()
		first := heldLock(t, s, url, time.Minute)
		second := testLock(t, s, url, time.Minute)
		second.wait = 300 * time.Millisecond
		err := second.acquire(ctx)
		if err == nil || !strings.Contains(err.Error(), first.owner) {
			t.Fatalf("waiting past the bound: %v, want an error naming the holder %q", err, first.owner)
		}
	})
}

// On Galera, lockers on different nodes race through certification: exactly one must win each
// round, the losers seeing 1213 or a row already taken.
func TestMigrationLockAcrossGaleraNodes(t *testing.T) {
	ctx := context.Background()
	var lockers []*migrationLock
	for _, u := range testdb.Galera(t, testdb.GaleraNodes(t)) {
		_, dsn, err := ParseDatabaseURL(u)
		if err != nil {
			t.Fatal(err)
		}
		l := newMigrationLock(testdb.OpenSQL(t, "mysql", dsn), MySQL, slog.New(slog.DiscardHandler))
		if err := l.ensureTable(ctx); err != nil {
			t.Fatal(err)
		}
		lockers = append(lockers, l)
	}
	for round := 0; round < 20; round++ {
		winner := race(t, ctx, round, lockers) // locker i is on node i+1
		// Once the winner's lease has reached their nodes, the others are refused there too.
		time.Sleep(20 * time.Millisecond)
		for i, l := range lockers {
			if i == winner {
				continue
			}
			if ok, err := l.tryAcquire(ctx); ok || err != nil {
				t.Fatalf("round %d: node %d took the lock held through node %d: %v, %v", round, i+1, winner+1, ok, err)
			}
		}
		if err := lockers[winner].release(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // let the release reach the other nodes
	}
}
