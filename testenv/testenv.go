// Package testenv gives each test its own migrated store, on every engine the run has: the
// embedded SQLite always, and MySQL/MariaDB when TEST_MYSQL_DSN is set (a mysql:// URL, for
// example mysql://root@127.0.0.1:3306/test). A set but unreachable TEST_MYSQL_DSN fails the
// test; it never skips.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	"github.com/licensing-api/licensing-api/models"
)

// Engine is one store engine a test runs on.
type Engine struct {
	Name string
	// New returns a fresh, migrated store of its own, dropped when the test ends.
	New func(t testing.TB) *models.Store
}

// Engines lists the engines of this run.
func Engines() []Engine {
	out := []Engine{{Name: "sqlite", New: newSQLite}}
	if dsn := os.Getenv("TEST_MYSQL_DSN"); dsn != "" {
		out = append(out, Engine{Name: "mysql", New: func(t testing.TB) *models.Store { return newMySQL(t, dsn) }})
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
	dsn := os.Getenv("TEST_MYSQL_DSN")
	if dsn == "" {
		t.Log("TEST_MYSQL_DSN not set: running on SQLite, where writers are serialized; CI runs this on MariaDB")
		fn(t, newSQLite(t))
		return
	}
	fn(t, newMySQL(t, dsn))
}

func open(t testing.TB, url string) *models.Store {
	t.Helper()
	ctx := context.Background()
	s, err := models.Open(ctx, models.Config{DatabaseURL: url})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

func newSQLite(t testing.TB) *models.Store {
	s := open(t, filepath.Join(t.TempDir(), "test.db"))
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newMySQL(t testing.TB, dsn string) *models.Store {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" {
		t.Fatalf("TEST_MYSQL_DSN must be a mysql:// URL: %q", dsn)
	}
	_, driverDSN, err := models.ParseDatabaseURL(dsn)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", driverDSN)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	if err := admin.Ping(); err != nil {
		_ = admin.Close()
		t.Fatalf("TEST_MYSQL_DSN is set but MySQL is unreachable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "lt_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	u.Path = "/" + name
	s := open(t, u.String())
	t.Cleanup(func() {
		_ = s.Close()
		_, _ = admin.Exec("DROP DATABASE " + name)
		_ = admin.Close()
	})
	return s
}
