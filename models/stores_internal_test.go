package models

import (
	"context"
	"testing"

	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// The models package's own tests open stores here (testenv imports models, so they cannot
// use it): SQLite always, MySQL/MariaDB when TEST_MYSQL_DSN is set.

// openTestStore opens and migrates the store at url, closed when the test ends.
func openTestStore(t testing.TB, url string) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{DatabaseURL: url})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func sqliteTestStore(t testing.TB) *Store { return openTestStore(t, testdb.SQLite(t)) }

func mysqlTestStore(t testing.TB, dsn string) *Store { return openTestStore(t, testdb.MySQL(t, dsn)) }

// eachTestStore runs fn as a subtest on every engine of the run, each with a fresh store.
func eachTestStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteTestStore(t)) })
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) { fn(t, mysqlTestStore(t, dsn)) })
	}
}
