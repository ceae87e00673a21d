package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the SQL engine behind a Store.
type Dialect string

const (
	MySQL  Dialect = "mysql"
	SQLite Dialect = "sqlite"
)

// Store is the licensing database. A Store made by InTx runs every call in that transaction.
type Store struct {
	db      *gorm.DB
	dialect Dialect
	inTx    bool
	log     *slog.Logger // nil: discard (migrations log through it)
	// sqliteDSN is the driver DSN of a SQLite store, for the migration lock's own connection.
	sqliteDSN string
	// aggregations admits the scans of many rows (summaries, conflicts, activation status) a few at
	// a time, so that they can never hold every connection of the pool (see aggregate).
	aggregations chan struct{}
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

// Open connects to the store described by cfg. It does not migrate.
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
	if dialect == MySQL {
		if dsn, err = limitStatements(ctx, dsn, cfg.StatementTimeout); err != nil {
			return nil, err
		}
	}
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // writes that need one take it explicitly (InTx)
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	}
	var db *gorm.DB
	switch dialect {
	case MySQL:
		db, err = gorm.Open(gormmysql.Open(dsn), gcfg)
	case SQLite:
		// WAL and a busy timeout let readers and one writer share the file; foreign keys are
		// off on purpose (the schema has none, see migrations).
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		dsn += sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Open(dsn), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s store: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if dialect == SQLite {
		// One connection: SQLite serializes writers anyway, and a single connection keeps an
		// in-memory database alive and visible to every request.
		sqlDB.SetMaxOpenConns(1)
	} else {
		sqlDB.SetMaxOpenConns(maxOpenConns)
		sqlDB.SetMaxIdleConns(maxOpenConns)
		sqlDB.SetConnMaxLifetime(5 * time.Minute)
	}
	s := &Store{db: db, dialect: dialect, log: cfg.Logger, aggregations: make(chan struct{}, cfg.AggregationConcurrency)}
	if dialect == SQLite {
		s.sqliteDSN = dsn
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
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
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// SQLDB exposes the pool for migrations and tests in this package's tools.
func (s *Store) sqlDB() (*sql.DB, error) { return s.db.DB() }

// InTx runs fn in one transaction: all its writes land together or none does. A deadlock or
// lock-wait timeout (MySQL 1213/1205) or a busy SQLite retries the whole function, a bounded
// number of times, so fn must have no effects outside the store.
func (s *Store) InTx(ctx context.Context, fn func(tx *Store) error) error {
	if s.inTx {
		return fn(s)
	}
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = s.db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
			tx := *s
			tx.db, tx.inTx = gtx, true
			return fn(&tx)
		})
		if err == nil || !retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 15 * time.Millisecond):
		}
	}
	return err
}

// errRetry asks InTx to run the transaction again: it lost a race it can win on a re-read.
var errRetry = errors.New("retry transaction")

func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
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

func (s *Store) ctx(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

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

// limitStatements makes the server end any statement that runs past timeout, whatever happens to
// the client (a cancelled request only closes its connection; the server would go on). The
// variable differs: MariaDB's max_statement_time (seconds, every statement), MySQL's
// max_execution_time (milliseconds, reads). The driver's read timeout is set just past it.
func limitStatements(ctx context.Context, dsn string, timeout time.Duration) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", err
	}
	probe, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", err
	}
	defer probe.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var version string
	if err := probe.QueryRowContext(pctx, "SELECT VERSION()").Scan(&version); err != nil {
		return "", fmt.Errorf("database unreachable: %w", err)
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
	return cfg.FormatDSN(), nil
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
