package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// Running on several nodes (issue 12): the session settings of a MariaDB Galera cluster, the
// readiness of a node, waiting for the database at start, and an optional read replica.

const (
	// DefaultSyncWait is the wsrep_sync_wait of every session on Galera: 3 = reads (SELECT,
	// SHOW, BEGIN) and UPDATE/DELETE wait until the node has applied every write the cluster
	// committed before them. Reads alone (1) would not do: an UPDATE ... WHERE outside a
	// transaction decides from what it reads too. INSERTs (4) need no wait: a conflicting one
	// fails certification or a unique key.
	DefaultSyncWait = 3
	// SyncWaitOff sets no wsrep_sync_wait (the server's, 0 by default): a read through one node
	// may miss a write just committed through another. For measurements only.
	SyncWaitOff = -1
	// readReplicaName names the dbresolver resolver of the read replica.
	readReplicaName = "read-replica"
)

// ErrNotReady means the database answers but cannot serve: a Galera node outside the primary
// component, or not synced with the cluster.
var ErrNotReady = errors.New("database node not ready")

// session is what sessionSettings found: the DSN every pooled connection uses, the DSN of the
// readiness probe (no causal wait: it must answer on a node cut off from the cluster), the DSN
// of migrations (no statement time limit), and whether the server runs Galera.
type session struct {
	dsn, probeDSN, migrateDSN string
	galera                    bool
}

// sessionSettings asks the server what it is and sets, on every connection of the DSN:
//   - a statement time limit, so that the server ends any statement that runs past timeout
//     whatever happens to the client (MariaDB's max_statement_time in seconds, every statement;
//     MySQL's max_execution_time in milliseconds, reads), with the driver's read timeout just
//     past it;
//   - on Galera (wsrep_on), wsrep_sync_wait, so that a client may write through one node and
//     read through any other (see DefaultSyncWait).
func sessionSettings(ctx context.Context, dsn string, timeout time.Duration, syncWait int) (session, error) {
	if syncWait < SyncWaitOff || syncWait > 15 {
		return session{}, fmt.Errorf("wsrep_sync_wait %d: use 0 to 15 (a bit mask)", syncWait)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return session{}, err
	}
	probe, err := sql.Open("mysql", dsn)
	if err != nil {
		return session{}, err
	}
	defer probe.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var version, name, wsrep string
	if err := probe.QueryRowContext(pctx, "SELECT VERSION()").Scan(&version); err != nil {
		return session{}, fmt.Errorf("database unreachable: %w", err)
	}
	// A server without wsrep has no such variable: no row.
	if err := probe.QueryRowContext(pctx, "SHOW VARIABLES LIKE 'wsrep_on'").Scan(&name, &wsrep); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return session{}, fmt.Errorf("database unreachable: %w", err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		cfg.Params["max_statement_time"] = fmt.Sprintf("%g", timeout.Seconds())
	} else {
		cfg.Params["max_execution_time"] = fmt.Sprint(timeout.Milliseconds())
	}
	cfg.ReadTimeout = timeout + 10*time.Second
	out := session{probeDSN: cfg.FormatDSN(), galera: strings.EqualFold(wsrep, "ON")}
	if out.galera && syncWait != SyncWaitOff {
		if syncWait == 0 {
			syncWait = DefaultSyncWait
		}
		cfg.Params["wsrep_sync_wait"] = strconv.Itoa(syncWait)
	}
	out.dsn = cfg.FormatDSN()
	// Migrations keep the causal wait but not the time limit: on Galera a DDL statement waits
	// for its turn in the cluster's total order behind every write in flight, and rebuilding a
	// large table takes as long as it takes. A limit would leave a half-applied migration.
	mig := cfg.Clone()
	delete(mig.Params, "max_statement_time")
	delete(mig.Params, "max_execution_time")
	mig.ReadTimeout = 0
	out.migrateDSN = mig.FormatDSN()
	return out, nil
}

// Galera tells whether the store runs on a Galera cluster node.
func (s *Store) Galera() bool { return s.galera }

// Ready checks the store can serve now: the database answers, and on Galera the node is in the
// primary component (wsrep_ready ON) and synced with the cluster. A node cut off from the
// cluster still answers a ping but refuses every table read (error 1047), so the ping alone
// would say ready while every request fails.
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	if s.probe == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rows, err := s.probe.QueryContext(ctx, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')")
	if err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	defer rows.Close()
	status := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return fmt.Errorf("database unreachable: %w", err)
		}
		status[strings.ToLower(k)] = v
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if v := status["wsrep_ready"]; v != "ON" {
		return fmt.Errorf("%w: wsrep_ready is %q (the Galera node is not in the primary component)", ErrNotReady, v)
	}
	if v := status["wsrep_local_state_comment"]; v != "Synced" {
		return fmt.Errorf("%w: the Galera node is %q, not Synced", ErrNotReady, v)
	}
	return nil
}

// Start-up waits: the first pause, and the longest.
const (
	firstWaitPause = 250 * time.Millisecond
	maxWaitPause   = 5 * time.Second
)

// OpenWhenReady is Open for a database that may still be starting: while it is unreachable, not
// Ready, or not there yet, it tries again after a pause that doubles from 250 ms to 5 s, logging
// what it waits for, for at most wait in all (zero: one try). What waiting cannot cure (a
// malformed URL, a refused password) fails at once.
func OpenWhenReady(ctx context.Context, cfg Config, wait time.Duration) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deadline := time.Now().Add(wait)
	pause := firstWaitPause
	for attempt := 1; ; attempt++ {
		s, err := Open(ctx, cfg)
		if err == nil {
			if err = s.Ready(ctx); err == nil {
				if attempt > 1 {
					log.InfoContext(ctx, "the database is ready", "database", redact(cfg.DatabaseURL), "attempts", attempt)
				}
				return s, nil
			}
			_ = s.Close()
		}
		if !worthWaiting(err) {
			return nil, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("the database was not ready after %s of waiting (DB_WAIT_TIMEOUT): %w", wait, err)
		}
		pause = min(pause, left)
		log.WarnContext(ctx, "waiting for the database", "database", redact(cfg.DatabaseURL), "reason", err.Error(),
			"attempt", attempt, "retry_in", pause.String(), "gives_up_in", left.Round(time.Second).String())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, maxWaitPause)
	}
}

// worthWaiting tells a start-up failure that may clear by itself: the database down or
// starting, a Galera node not synced, or the database not there yet (1049: on a cluster it is
// created through one node and reaches the others a moment later; a provisioning job may still
// be creating it).
func worthWaiting(err error) bool {
	var me *mysql.MySQLError
	return errors.Is(err, ErrNotReady) || IsUnavailable(err) || (errors.As(err, &me) && me.Number == 1049)
}

type readReplicaKey struct{}

// ReadReplica marks ctx's reads as fine to serve from the read replica (Config.ReadURL), which
// may lag the primary: BI aggregations. Writes, transactions and unmarked reads stay on the
// primary, so a client reads its own writes everywhere else.
func ReadReplica(ctx context.Context) context.Context {
	return context.WithValue(ctx, readReplicaKey{}, true)
}

func onReadReplica(ctx context.Context) bool {
	v, _ := ctx.Value(readReplicaKey{}).(bool)
	return v
}

// useReadReplica opens the pool of cfg.ReadURL and registers it with GORM's dbresolver under
// readReplicaName only: with no global resolver, statements that do not name it (see ctx) keep
// the primary pool.
func (s *Store) useReadReplica(ctx context.Context, cfg Config) error {
	dialect, dsn, err := ParseDatabaseURL(cfg.ReadURL)
	if err != nil {
		return fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	if dialect != s.dialect {
		return fmt.Errorf("DATABASE_READ_URL is %s but DATABASE_URL is %s: use the same engine", dialect, s.dialect)
	}
	driver := "sqlite"
	if dialect == MySQL {
		set, err := sessionSettings(ctx, dsn, cfg.StatementTimeout, SyncWaitOff) // BI may lag: no causal wait
		if err != nil {
			return fmt.Errorf("DATABASE_READ_URL: %w", err)
		}
		dsn, driver = set.dsn, "mysql"
	} else {
		dsn = sqlitePragmas(dsn)
	}
	pool, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_READ_URL: %w", err)
	}
	configurePool(pool, dialect)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pool.PingContext(pctx); err != nil {
		_ = pool.Close()
		return fmt.Errorf("DATABASE_READ_URL: database unreachable: %w", err)
	}
	s.readPool = pool
	return s.db.Use(dbresolver.Register(dbresolver.Config{Replicas: []gorm.Dialector{dialector(dialect, "", pool)}}, readReplicaName))
}
