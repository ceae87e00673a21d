// Package testenv gives each test its own migrated store, on every engine the run has: the
// embedded SQLite always, and MySQL/MariaDB when TEST_MYSQL_DSN is set (a mysql:// URL, for
// example mysql://root@127.0.0.1:3306/test). A set but unreachable TEST_MYSQL_DSN fails the
// test; it never skips.
package testenv

import (
	"context"
	"testing"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// Engine is one store engine a test runs on.
type Engine struct {
	Name string
	// New returns a fresh, migrated store of its own, dropped when the test ends.
	New func(t testing.TB) *models.Store
}

// Engines lists the engines of this run.
func Engines() []Engine {
	out := []Engine{{Name: "sqlite", New: func(t testing.TB) *models.Store { return Open(t, testdb.SQLite(t)) }}}
	if dsn := testdb.MySQLDSN(); dsn != "" {
		out = append(out, Engine{Name: "mysql", New: func(t testing.TB) *models.Store { return Open(t, testdb.MySQL(t, dsn)) }})
	}
	return out
}

// Each runs fn as a subtest on every engine, each with its own fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.New(t)) })
	}
}

// MySQLOnly runs fn on MySQL alone (concurrency tests). Without TEST_MYSQL_DSN it runs on
// SQLite instead and says so in the log, so the test still exercises its logic.
func MySQLOnly(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Log("TEST_MYSQL_DSN not set: running on SQLite, where writers are serialized; CI runs this on MariaDB")
		fn(t, Open(t, testdb.SQLite(t)))
		return
	}
	fn(t, Open(t, testdb.MySQL(t, dsn)))
}

// Open opens and migrates the store at url, closed when the test ends.
func Open(t testing.TB, url string) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, models.Config{DatabaseURL: url})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}
