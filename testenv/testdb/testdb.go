// Package testdb makes a fresh, empty database for one test and removes it afterwards: a
// SQLite file, or a MySQL/MariaDB database on the server of TEST_MYSQL_DSN. It knows nothing
// of the schema, so the models package's own tests can use it too (testenv builds on it).
package testdb

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// OpenSQL opens a pool on the database of dsn for driver (a DSN of the driver's own form),
// closed when the test ends.
func OpenSQL(t testing.TB, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// GaleraNodes returns the node URLs of TEST_GALERA_DSNS, or skips the test. The test holds the
// cluster until it ends (see holdCluster).
func GaleraNodes(t testing.TB) []string {
	nodes := strings.Split(os.Getenv("TEST_GALERA_DSNS"), ",")
	if len(nodes) != 3 || nodes[0] == "" {
		t.Skip("TEST_GALERA_DSNS is not set (three mysql:// URLs, one per Galera node, separated by commas)")
	}
	holdCluster(t)
	return nodes
}

// The test cluster is one shared machine-wide resource, and `go test ./...` runs packages in
// parallel: one package running its migrations three times over (each DDL statement pauses the
// whole cluster while it is applied in total order) beside another's heavy concurrent writes is
// the likely cause of a 40 s stall of a 2-core machine's three nodes seen in CI (not reproduced
// here with the two packages alone). So tests of different packages take
// turns: the first holder in a process takes an exclusive flock on a file named after the
// cluster, the last to end releases it; tests of one process share the hold.
var cluster struct {
	sync.Mutex
	holders int
	lock    *os.File
}

func holdCluster(t testing.TB) {
	t.Helper()
	cluster.Lock()
	defer cluster.Unlock()
	if cluster.holders == 0 {
		sum := sha256.Sum256([]byte(os.Getenv("TEST_GALERA_DSNS")))
		name := filepath.Join(os.TempDir(), "licensing-api-galera-"+hex.EncodeToString(sum[:6])+".lock")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			t.Fatalf("the Galera test cluster's lock file: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			_ = f.Close()
			t.Fatalf("take the Galera test cluster's lock %s: %v", name, err)
		}
		cluster.lock = f
	}
	cluster.holders++
	t.Cleanup(func() {
		cluster.Lock()
		defer cluster.Unlock()
		if cluster.holders--; cluster.holders == 0 {
			_ = cluster.lock.Close() // closing the file releases the flock
			cluster.lock = nil
		}
	})
}

// Galera creates a fresh database through the first of the Galera nodes and returns its URL on
// each node.
func Galera(t testing.TB, nodes []string) []string {
	t.Helper()
	first, err := url.Parse(MySQL(t, strings.TrimSpace(nodes[0])))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range nodes {
		u, err := url.Parse(strings.TrimSpace(n))
		if err != nil {
			t.Fatalf("TEST_GALERA_DSNS: %v", err)
		}
		u.Path = first.Path
		out = append(out, u.String())
	}
	return out
}
