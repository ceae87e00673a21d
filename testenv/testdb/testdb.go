// Package testdb makes a fresh, empty database for one test and removes it afterwards: a
// SQLite file, or a MySQL/MariaDB database on the server of TEST_MYSQL_DSN. It knows nothing
// of the schema, so the models package's own tests can use it too (testenv builds on it).
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// MySQLDSN is the mysql:// URL of the test server, or "" when MySQL tests are off.
func MySQLDSN() string { return os.Getenv("TEST_MYSQL_DSN") }

// SQLite returns the path of a new SQLite file in the test's temporary directory.
func SQLite(t testing.TB) string { return filepath.Join(t.TempDir(), "test.db") }

// MySQL creates a database lt_<random> on the server of dsn (a mysql:// URL) and returns its
// URL; it is dropped when the test ends. An unreachable server fails the test: it never skips.
func MySQL(t testing.TB, dsn string) string {
	t.Helper()
	return MySQLWithCharset(t, dsn, "")
}

// MySQLWithCharset is MySQL with the new database's default character set (as a server with
// that default would make it); "" means the server's default.
func MySQLWithCharset(t testing.TB, dsn, charset string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme != "mysql" || u.Host == "" {
		t.Fatalf("TEST_MYSQL_DSN must be a mysql:// URL: %q", dsn)
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "tcp", u.Host
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
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
	create := "CREATE DATABASE " + name
	if charset != "" {
		create += " CHARACTER SET " + charset
	}
	if _, err := admin.Exec(create); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	// Registered first, so it runs after the store using the database is closed.
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE " + name)
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}
