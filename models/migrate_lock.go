package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"os"
	"time"
)

// The migration lock is the one row of schema_lock, taken by an UPDATE that matches only while
// the row is free or its lease has expired. GET_LOCK would hold on one Galera node only; a row
// is replicated, and two nodes taking it at once conflict at certification: one of them gets
// error 1213, which counts as "lost, wait and retry". The holder renews its lease while it
// migrates; a migrator that crashed leaves a lease that expires, and then another takes over.
// Times are the database's clock (on Galera, each node's: keep them in sync with NTP).

const (
	lockTableDDL = `CREATE TABLE IF NOT EXISTS schema_lock (
  id INT NOT NULL PRIMARY KEY,
  owner VARCHAR(128) NOT NULL,
  lease_expires_ms BIGINT NOT NULL
)`
	lockRowID = 1

	defaultLockLease = 30 * time.Second
	defaultLockRenew = 10 * time.Second
	defaultLockPoll  = 500 * time.Millisecond
	// A waiter gives up after this long: a migration that runs longer holds the others back
	// (they exit and are restarted), which beats replicas that hang for ever.
	defaultLockWait = 15 * time.Minute
)

// errLeaseLost ends a migration whose lease another migrator took over (ours expired unrenewed).
var errLeaseLost = errors.New("lost the migration lock: its lease expired unrenewed and another migrator took it")

// migrationLock takes and keeps the schema_lock row for one migration run.
type migrationLock struct {
	db      *sql.DB
	dialect Dialect
	owner   string        // who holds the lease: host-pid-random, at most 128 characters
	lease   time.Duration // how long a lease lasts unless renewed
	renew   time.Duration // how often the holder renews it (a third of the lease)
	poll    time.Duration // how often a waiter tries again (±50% jitter)
	wait    time.Duration // how long a waiter waits in all
	log     *slog.Logger
}

func newMigrationLock(db *sql.DB, dialect Dialect, log *slog.Logger) *migrationLock {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	owner := fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(owner) > 128 {
		owner = owner[len(owner)-128:]
	}
	return &migrationLock{db: db, dialect: dialect, owner: owner, lease: defaultLockLease,
		renew: defaultLockRenew, poll: defaultLockPoll, wait: defaultLockWait, log: log}
}

// nowMS is the database clock in Unix milliseconds.
func (l *migrationLock) nowMS() string {
	if l.dialect == SQLite {
		return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
	}
	return "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
}

// hold runs fn while holding the lock. fn's context is cancelled if the lease is lost.
func (l *migrationLock) hold(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := l.acquire(ctx); err != nil {
		return err
	}
	runCtx, stop := context.WithCancelCause(ctx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		l.keepAlive(runCtx, stop)
	}()
	err := fn(runCtx)
	lost := errors.Is(context.Cause(runCtx), errLeaseLost)
	stop(nil)
	<-renewed
	if lost {
		return errors.Join(errLeaseLost, err)
	}
	if rerr := l.release(context.WithoutCancel(ctx)); rerr != nil {
		// The lease runs out by itself; the migration itself went through.
		l.log.WarnContext(ctx, "releasing the migration lock failed; it expires by itself", "err", rerr, "lease", l.lease.String())
	}
	return err
}

// acquire waits until this migrator holds the lock, at most l.wait.
func (l *migrationLock) acquire(ctx context.Context) error {
	if err := l.ensureTable(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(l.wait)
	for waited := false; ; waited = true {
		ok, err := l.tryAcquire(ctx)
		if err != nil {
			return err
		}
		if ok {
			if waited {
				l.log.InfoContext(ctx, "took the migration lock", "owner", l.owner)
			}
			return nil
		}
		if !waited {
			holder, left := l.holder(ctx)
			l.log.InfoContext(ctx, "waiting for the migration lock", "held_by", holder, "lease_left", left.String(), "max_wait", l.wait.String())
		}
		if time.Now().After(deadline) {
			holder, _ := l.holder(ctx)
			return fmt.Errorf("migration lock still held by %q after waiting %s", holder, l.wait)
		}
		jitter := time.Duration(mathrand.Int64N(int64(l.poll))) - l.poll/2
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(l.poll + jitter):
		}
	}
}

// ensureTable creates schema_lock once; the DDL is skipped when the table exists, since on
// Galera every DDL statement pauses the whole cluster.
func (l *migrationLock) ensureTable(ctx context.Context) error {
	var probe int
	err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_lock").Scan(&probe)
	if err == nil {
		return nil
	}
	if _, cerr := l.db.ExecContext(ctx, lockTableDDL); cerr != nil {
		return fmt.Errorf("create schema_lock: %w (after %v)", cerr, err)
	}
	return nil
}

// tryAcquire takes the lock if it is free or its lease expired. Losing a race (a deadlock or
// a certification conflict, 1213; a busy SQLite) is not an error: the caller tries again.
func (l *migrationLock) tryAcquire(ctx context.Context) (bool, error) {
	ok, err := l.take(ctx)
	if ok || err != nil {
		return ok, err
	}
	// Nothing matched: the lock is held, or its row was never written (a fresh table).
	var rows int
	if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_lock WHERE id = ?", lockRowID).Scan(&rows); err != nil {
		return false, fmt.Errorf("read the migration lock: %w", err)
	}
	if rows > 0 {
		return false, nil
	}
	_, err = l.db.ExecContext(ctx, "INSERT INTO schema_lock (id, owner, lease_expires_ms) VALUES (?, '', 0)", lockRowID)
	if err != nil {
		if !isDuplicate(err) && !retryable(err) {
			return false, fmt.Errorf("create the migration lock row: %w", err)
		}
		l.log.DebugContext(ctx, "another migrator created the migration lock row", "err", err)
	}
	return l.take(ctx)
}

// take is the UPDATE that takes the lock row when it is free or its lease expired.
func (l *migrationLock) take(ctx context.Context) (bool, error) {
	now := l.nowMS()
	res, err := l.db.ExecContext(ctx, `UPDATE schema_lock SET owner = ?, lease_expires_ms = `+now+` + ?
		WHERE id = ? AND (owner = '' OR lease_expires_ms < `+now+`)`, l.owner, l.lease.Milliseconds(), lockRowID)
	if err != nil {
		if retryable(err) {
			l.log.DebugContext(ctx, "lost a race for the migration lock", "err", err)
			return false, nil
		}
		return false, fmt.Errorf("take the migration lock: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// holder tells who holds the lock and how long its lease has left, for the logs.
func (l *migrationLock) holder(ctx context.Context) (string, time.Duration) {
	var owner string
	var left int64
	err := l.db.QueryRowContext(ctx, "SELECT owner, lease_expires_ms - "+l.nowMS()+" FROM schema_lock WHERE id = ?", lockRowID).Scan(&owner, &left)
	if err != nil {
		return "(unknown: " + err.Error() + ")", 0
	}
	return owner, time.Duration(left) * time.Millisecond
}

// renewLease extends the lease; false means another migrator holds the lock now.
func (l *migrationLock) renewLease(ctx context.Context) (bool, error) {
	res, err := l.db.ExecContext(ctx, "UPDATE schema_lock SET lease_expires_ms = "+l.nowMS()+" + ? WHERE id = ? AND owner = ?",
		l.lease.Milliseconds(), lockRowID, l.owner)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	// MySQL counts changed rows: a renewal within the same millisecond changes nothing.
	owner, _ := l.holder(ctx)
	return owner == l.owner, nil
}

// keepAlive renews the lease every l.renew until ctx ends. It cancels with errLeaseLost when
// another migrator holds the lock, or when no renewal succeeded for a whole lease.
func (l *migrationLock) keepAlive(ctx context.Context, lost context.CancelCauseFunc) {
	t := time.NewTicker(l.renew)
	defer t.Stop()
	renewedAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		held, err := l.renewLease(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && held:
			renewedAt = time.Now()
		case err == nil:
			lost(errLeaseLost)
			return
		default:
			l.log.WarnContext(ctx, "renewing the migration lock failed", "err", err)
			if time.Since(renewedAt) >= l.lease {
				lost(errLeaseLost)
				return
			}
		}
	}
}

// release frees the lock if this migrator still holds it, retrying lost races a few times.
func (l *migrationLock) release(ctx context.Context) error {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		_, err = l.db.ExecContext(ctx, "UPDATE schema_lock SET owner = '', lease_expires_ms = 0 WHERE id = ? AND owner = ?", lockRowID, l.owner)
		if err == nil || !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
	return err
}
