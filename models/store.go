package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/stack"
	"go.opentelemetry.io/otel/trace"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	"gorm.io/plugin/dbresolver"
)

// Dialect names the SQL engine behind a Store.
type Dialect string

const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// Store is the licensing database. A Store made by InTx runs every call in that transaction.
type Store struct {
	db *gorm.DB
	// prepared is db running its statements as server-side prepared statements, nil but on
	// MySQL (preparedRead).
	prepared *gorm.DB
	dialect  Dialect
	inTx     bool
	log      *slog.Logger // nil: discard (migrations log through it)
	// sqliteDSN is the driver DSN of a SQLite store, for the migration lock's own connection.
	sqliteDSN string
	// migrateDSN is the driver DSN migrations run on (MySQL): the pool's without its statement
	// time limit (see sessionSettings).
	migrateDSN string
	// aggregations admits the scans of many rows (summaries, conflicts, activation status) a few at
	// a time, so that they can never hold every connection of the pool (see aggregate).
	aggregations chan struct{}
	// galera is set when the server runs wsrep (MariaDB Galera): readiness then asks the node.
	galera bool
	// readPool is the pool of DATABASE_READ_URL, nil without one (see ReadReplica).
	readPool *sql.DB
	// probe is a one-connection pool without wsrep_sync_wait, for readiness (see Ready).
	probe   *sql.DB
	stats   *storeStats                      // shared by the Stores InTx makes
	tracing bool                             // Config.TraceSQL
	txSpan  trace.Span                       // the span of the transaction of a Store made by InTx, when tracing
	keys    *keyCache                        // API keys checked recently (keycache.go)
	catalog *atomic.Pointer[map[string]*SKU] // the SKU catalog, read once (catalog.go)
	cells   *cellDirty                       // the pools a transaction of InTx changed (cells.go)
}

// Config says where the store is. DatabaseURL is a mysql://user:pass@host:port/db URL or a
// SQLite file path (":memory:" or "file::memory:" for a throw-away store).
type Config struct {
	DatabaseURL string
	Logger      *slog.Logger
	// StatementTimeout is the longest a statement may run on the server (MariaDB's
	// max_statement_time, MySQL's max_execution_time for reads); the driver's read timeout is set
	// past it. Zero means DefaultStatementTimeout.
	StatementTimeout time.Duration
	// AggregationConcurrency is how many aggregations run at once; zero means
	// DefaultAggregationConcurrency.
	AggregationConcurrency int
	// ReadURL is an optional second database (a replica) for the reads a caller marks with
	// ReadReplica: BI aggregations that may lag the primary. Same form as DatabaseURL and the
	// same engine; empty means every read goes to DatabaseURL.
	ReadURL string
	// SyncWait is wsrep_sync_wait on a Galera cluster (see sessionSettings); zero means
	// DefaultSyncWait, SyncWaitOff sets none. Ignored on a server without wsrep.
	SyncWait int
	// TraceSQL makes a span of every statement through the global OpenTelemetry tracer provider.
	TraceSQL bool
	// KeyCacheTTL is how long a checked API key is trusted without the database; zero means
	// DefaultKeyCacheTTL, negative turns the cache off.
	KeyCacheTTL time.Duration
}

const (
	DefaultStatementTimeout       = 30 * time.Second
	DefaultAggregationConcurrency = 4
	// maxOpenConns is the pool; idle connections are kept up to the same number, so that a busy
	// server does not reconnect under load.
	maxOpenConns = 50
)

// DefaultSQLitePath is the embedded store used when no DATABASE_URL is given.
const DefaultSQLitePath = "licensing.db"

// ParseDatabaseURL turns the DATABASE_URL setting into a dialect and a driver DSN.
func ParseDatabaseURL(raw string) (Dialect, string, error) {
	if raw == "" {
		raw = DefaultSQLitePath
	}
	if strings.HasPrefix(raw, "mysql://") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("DATABASE_URL: %v", err)
		}
		if u.Host == "" || strings.Trim(u.Path, "/") == "" {
			return "", "", errors.New("DATABASE_URL: a mysql URL needs a host and a database: mysql://user:pass@host:3306/db")
		}
		cfg := mysql.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if !strings.Contains(u.Host, ":") {
			cfg.Addr = u.Host + ":3306"
		}
		cfg.DBName = strings.Trim(u.Path, "/")
		if u.User != nil {
			cfg.User = u.User.Username()
			cfg.Passwd, _ = u.User.Password()
		}
		cfg.ParseTime = true
		cfg.Loc = time.UTC
		// A database that stops answering fails the statement instead of hanging it; each
		// request's own deadline is usually shorter (see Open for the read timeout).
		cfg.Timeout = 5 * time.Second
		cfg.WriteTimeout = 10 * time.Second
		cfg.ReadTimeout = DefaultStatementTimeout + 10*time.Second
		cfg.MultiStatements = false
		// Parameters are interpolated by the driver (safe with the utf8mb4 connection charset)
		// rather than sent with server-side prepared statements: one round trip per statement
		// instead of three (prepare, execute, close). And on Galera (MariaDB 10.11) a transaction
		// running prepared statements can lose the abort that a conflicting commit from another
		// node sends it: it then commits too, and one of two writes of one row is lost (23 of 300
		// tries in clustertest's TestGaleraAbortsConflictingTransactions; none with text).
		cfg.InterpolateParams = true
		cfg.Params = map[string]string{"charset": "utf8mb4", "time_zone": "'+00:00'"}
		for k, vs := range u.Query() {
			cfg.Params[k] = vs[0]
		}
		return MySQL, cfg.FormatDSN(), nil
	}
	if strings.Contains(raw, "://") {
		return "", "", fmt.Errorf("DATABASE_URL: unsupported scheme in %q: use mysql://user:pass@host:port/db or a SQLite file path", redact(raw))
	}
	return SQLite, raw, nil
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// Open connects to the store described by cfg. It does not migrate, and it does not wait for
// a database that is down (OpenWhenReady does).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	dialect, dsn, err := ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.StatementTimeout <= 0 {
		cfg.StatementTimeout = DefaultStatementTimeout
	}
	if cfg.AggregationConcurrency <= 0 {
		cfg.AggregationConcurrency = DefaultAggregationConcurrency
	}
	if cfg.KeyCacheTTL == 0 {
		cfg.KeyCacheTTL = DefaultKeyCacheTTL
	}
	s := &Store{dialect: dialect, log: cfg.Logger, aggregations: make(chan struct{}, cfg.AggregationConcurrency),
		stats: &storeStats{}, tracing: cfg.TraceSQL, keys: newKeyCache(cfg.KeyCacheTTL),
		catalog: &atomic.Pointer[map[string]*SKU]{}}
	var probeDSN string
	if dialect == MySQL {
		var set session
		if set, err = sessionSettings(ctx, dsn, cfg.StatementTimeout, cfg.SyncWait); err != nil {
			return nil, err
		}
		dsn, probeDSN, s.migrateDSN, s.galera = set.dsn, set.probeDSN, set.migrateDSN, set.galera
	} else {
		dsn = sqlitePragmas(dsn)
		s.sqliteDSN = dsn
	}
	if s.db, err = gorm.Open(dialector(dialect, dsn, nil), gormConfig()); err != nil {
		return nil, fmt.Errorf("open %s store: %w", dialect, err)
	}
	if err := registerStatementCounter(s.db); err != nil {
		return nil, err
	}
	if dialect == MySQL {
		s.prepared = s.db.Session(&gorm.Session{PrepareStmt: true})
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	configurePool(sqlDB, dialect)
	if err := s.attach(ctx, cfg, probeDSN); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// attach adds what a Store may have besides its pool: the Galera readiness probe, the read
// replica, SQL tracing.
func (s *Store) attach(ctx context.Context, cfg Config, probeDSN string) error {
	if s.galera {
		probe, err := sql.Open("mysql", probeDSN)
		if err != nil {
			return err
		}
		probe.SetMaxOpenConns(1)
		s.probe = probe
	}
	if cfg.ReadURL != "" {
		if err := s.useReadReplica(ctx, cfg); err != nil {
			return err
		}
	}
	if cfg.TraceSQL {
		return traceSQL(s.db)
	}
	return nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // writes that need one take it explicitly (InTx)
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
		PrepareStmtMaxSize:     preparedStatementsCached, // only preparedRead prepares
	}
}

// dialector is GORM's driver for a DSN, or over an open pool when conn is not nil.
func dialector(d Dialect, dsn string, conn *sql.DB) gorm.Dialector {
	if d == MySQL {
		if conn != nil {
			return gormmysql.New(gormmysql.Config{Conn: conn})
		}
		return gormmysql.Open(dsn)
	}
	if conn != nil {
		return &sqlite.Dialector{Conn: conn}
	}
	return sqlite.Open(dsn)
}

// sqlitePragmas adds WAL and a busy timeout, so that readers and one writer share the file;
// foreign keys are off on purpose (the schema has none, see migrations).
func sqlitePragmas(dsn string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"
}

func configurePool(db *sql.DB, d Dialect) {
	if d == SQLite {
		// One connection: SQLite serializes writers anyway, and a single connection keeps an
		// in-memory database alive and visible to every request.
		db.SetMaxOpenConns(1)
		return
	}
	db.SetMaxOpenConns(maxOpenConns)
	db.SetMaxIdleConns(maxOpenConns)
	db.SetConnMaxLifetime(5 * time.Minute)
}

// Dialect tells which engine the store runs on.
func (s *Store) Dialect() Dialect { return s.dialect }

// Ping checks the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	for _, extra := range []*sql.DB{s.probe, s.readPool} {
		if extra != nil {
			_ = extra.Close()
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// SQLDB exposes the pool for migrations and tests in this package's tools.
func (s *Store) sqlDB() (*sql.DB, error) { return s.db.DB() }

// InTx runs fn in one transaction: all its writes land together or none does. A transaction
// the database aborted for a reason that a second try can clear (see retryCause: a deadlock or
// a Galera certification conflict, a lock-wait timeout, a cluster node not ready or cut off
// from the primary component, a busy SQLite) runs again from the start, at most txAttempts
// times with a growing, jittered pause; so fn must have no effects outside the store. The last
// error is returned as it is, and IsUnavailable reports it (the API answers 503 with
// Retry-After).
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) (err error) {
	if s.inTx {
		return fn(s)
	}
	ctx, span, end := s.traceTx(ctx)
	attempt := 0
	defer func() { end(attempt, err) }()
	for attempt = 1; ; attempt++ {
		var dirty *cellDirty
		err = s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
			tx := *s
			tx.db, tx.inTx, tx.txSpan, tx.cells = gtx, true, span, newCellDirty()
			if err := fn(&tx); err != nil {
				return err
			}
			dirty = tx.cells
			return tx.invalidateCells(ctx, dirty) // the rollup's rows of what fn changed (cells.go)
		})
		cause := retryCause(err)
		if cause == causeNone {
			if err == nil { // committed: recompute what it changed, even if its caller has gone
				s.refreshDirty(context.WithoutCancel(ctx), dirty)
			}
			return err
		}
		if attempt == txAttempts {
			s.stats.exhausted[cause].Add(1)
			return err
		}
		s.stats.retries[cause].Add(1)
		select {
		case <-ctx.Done():
			return err // the last abort, not the deadline: it says why
		case <-time.After(txBackoff(attempt)):
		}
	}
}

// txAttempts bounds InTx's runs of one transaction; with txBackoff the retries wait at most
// 0.4 s in all, well inside a request's deadline.
const txAttempts = 6

// txBackoff is the pause after the attempt-th failed run: 12.5 ms doubling up to 200 ms, half
// fixed and half random, so that two transactions that collided do not collide again in step.
func txBackoff(attempt int) time.Duration {
	d := min(12500*time.Microsecond<<(attempt-1), 200*time.Millisecond)
	return d/2 + rand.N(d/2+1)
}

// errRetry asks InTx to run the transaction again: it lost a race it can win on a re-read.
var errRetry = errors.New("retry transaction")

// retryable tells an error that running the same statements again may clear.
func retryable(err error) bool { return retryCause(err) != causeNone }

// retryCause says why a failed transaction may succeed if run again, or causeNone.
func retryCause(err error) retryReason {
	if err == nil {
		return causeNone
	}
	if errors.Is(err, errRetry) {
		return causeConflict
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1213: // deadlock; on Galera also a certification failure (a conflicting commit on another node)
			return causeDeadlock
		case 1205:
			return causeLockWait
		case 1047: // WSREP has not yet prepared node for application use
			return causeNodeNotReady
		case 1180: // error during COMMIT: on Galera, the node lost the primary component
			return causeCommitFailed
		}
		return causeNone
	}
	msg := err.Error()
	if strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") {
		return causeBusy
	}
	return causeNone
}

// isDuplicate tells a unique-index violation, on either engine.
func isDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// ctx is the store's GORM handle for one call: on the read replica when the caller marked ctx
// with ReadReplica and the store has one (never inside a transaction), else on the primary.
func (s *Store) ctx(ctx context.Context) *gorm.DB {
	if s.txSpan != nil {
		// fn's statements use fn's own context: put them under the transaction's span.
		ctx = trace.ContextWithSpan(ctx, s.txSpan)
	}
	db := s.db.WithContext(ctx)
	if s.readPool != nil && !s.inTx && onReadReplica(ctx) {
		db = db.Clauses(dbresolver.Use(readReplicaName))
	}
	return db
}

// preparedStatementsCached bounds the server-side prepared statements each connection of the
// pool may hold (preparedRead): MariaDB allows 16,382 in all (max_prepared_stmt_count), and
// every replica's connections count against it: 32 × 50 connections = 1,600 per replica.
const preparedStatementsCached = 32

// preparedRead is ctx for a read outside a transaction whose SQL takes one of a few fixed
// shapes (no IN list as long as a caller's input). On MariaDB it runs as a server-side prepared
// statement, prepared once per connection and then executed with one round trip: the server
// skips parsing it (on the detail page, about a sixth of the database's CPU; issue 11). Writes and
// transactions stay on text (interpolated) statements: on Galera a transaction of prepared
// statements can lose a conflict's abort (see ParseDatabaseURL).
func (s *Store) preparedRead(ctx context.Context) *gorm.DB {
	if s.prepared == nil || s.inTx {
		return s.ctx(ctx)
	}
	db := s.prepared.WithContext(ctx)
	if s.readPool != nil && onReadReplica(ctx) {
		db = db.Clauses(dbresolver.Use(readReplicaName))
	}
	return db
}

// IsUnavailable tells an error that means the database cannot serve now (down, unreachable, too
// slow for the request's deadline, closed, a cluster node not ready) from one that is a fault:
// the caller may retry the first kind as it is.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, mysql.ErrInvalidConn) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, 1053, 1205, 1213, 2002, 2003, 2006, 2013, 3024, 1969, 1047, 1180:
			// too many connections, shutdown, lock wait timeout, deadlock (after InTx's retries),
			// gone away, lost, statement time limits, node not ready, not connected to primary
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "database is closed") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "database is locked") || strings.Contains(msg, "interrupted")
}

// Serving counts an API request in flight until done is called: SpreadReads reads the count.
func (s *Store) Serving() (done func()) {
	s.stats.serving.Add(1)
	return func() { s.stats.serving.Add(-1) }
}

// SpreadReads tells whether a request may read its independent facts at the same time, each on
// a goroutine and connection of its own: only while the process serves no more requests than
// it has cores. Beyond that the cores are busy with other requests, so spreading a request's
// reads shortens nothing and its goroutine switches take CPU the others need (the detail page
// at 16 concurrent requests on 2 cores: about 10% of its latency, issue 11).
func (s *Store) SpreadReads() bool {
	return s.stats.serving.Load() <= int64(runtime.GOMAXPROCS(0))
}

// concurrently runs independent reads at the same time, each on its own connection, and
// returns their errors joined (nil if none). In a transaction (one connection), or when the
// process is busy (SpreadReads), they run one after the other and the first error stops them.
func (s *Store) concurrently(reads ...func() error) error {
	if s.inTx || !s.SpreadReads() {
		for _, read := range reads {
			if err := read(); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		run := func() {
			defer func() { // outside any request's recovery: a panic must not end the process
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("read %d panicked: %v", i, p)
				}
			}()
			errs[i] = read()
		}
		if i == len(reads)-1 {
			run() // the last on this goroutine: one goroutine fewer to start and wake
			break
		}
		wg.Add(1)
		go func() {
			stack.Grow()
			defer wg.Done()
			run()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// aggregate runs a scan of many rows once one of the few aggregation places is free, waiting no
// longer than ctx allows (then the caller gets a deadline error, which the API answers with 503).
func (s *Store) aggregate(ctx context.Context, fn func() error) error {
	if s.aggregations == nil || s.inTx {
		return fn()
	}
	select {
	case s.aggregations <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.aggregations }()
	return fn()
}
