package models

import (
	"context"
	"database/sql"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// eachEmptyStore runs fn on every engine of the run with an open but unmigrated store, and its URL.
func eachEmptyStore(t *testing.T, fn func(t *testing.T, s *Store, url string)) {
	run := func(t *testing.T, url string) {
		s, err := Open(context.Background(), Config{DatabaseURL: url})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		fn(t, s, url)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, testdb.SQLite(t)) })
	if dsn := testdb.MySQLDSN(); dsn != "" {
		t.Run("mysql", func(t *testing.T) { run(t, testdb.MySQL(t, dsn)) })
	}
}

// migrationFS is the embedded migration files, as goose sees them before the rewrite.
func migrationFS(t *testing.T) fs.FS {
	t.Helper()
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// checkSchemaComplete fails unless every migration's tables, columns and indexes are there.
func checkSchemaComplete(t *testing.T, s *Store) {
	t.Helper()
	m := s.db.Migrator()
	for _, table := range []string{"resellers", "api_keys", "customers", "agreements", "enrollments", "accounts",
		"account_users", "skus", "orders", "subscriptions", "reservations", "activation_emails", "product_keys",
		"license_assignments", "license_pools"} {
		if !m.HasTable(table) {
			t.Errorf("table %s is missing", table)
		}
	}
	for _, c := range [][2]string{{"enrollments", "renewal_needs_activation"}, {"enrollments", "associated_at"}, {"subscriptions", "deprovisioned_at"},
		{"accounts", "revision"}, {"enrollments", "revision"}, {"resellers", "revision"}, {"activation_emails", "bounced_at"}} {
		if !m.HasColumn(c[0], c[1]) {
			t.Errorf("column %s.%s is missing", c[0], c[1])
		}
	}
	for _, ix := range [][2]string{{"subscriptions", "subscriptions_grace_until"}, {"reservations", "reservations_subscription"}, {"license_assignments", "license_assignments_pool"}} {
		if !m.HasIndex(ix[0], ix[1]) {
			t.Errorf("index %s on %s is missing", ix[1], ix[0])
		}
	}
	var skus int64
	if err := s.db.Table("skus").Count(&skus).Error; err != nil || skus == 0 {
		t.Errorf("the SKU catalog was not loaded: %d rows, %v", skus, err)
	}
}

func TestMigrateTwiceAndStatus(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
		ctx := context.Background()
		before, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		files, _ := fs.Glob(migrationFiles, "migrations/*.sql")
		if len(before) != len(files) || before[0].Name != "0001_core.sql" || before[4].Name != "0005_deprovisioning.sql" {
			t.Fatalf("status lists %+v, want the %d migration files", before, len(files))
		}
		for _, m := range before {
			if m.Applied || m.Legacy {
				t.Errorf("%s is not pending on an empty database: %+v", m.Name, m)
			}
		}
		if s.db.Migrator().HasTable(gooseTable) {
			t.Error("status created goose's table: it must write nothing")
		}
		start := time.Now().UTC().Add(-time.Minute) // MySQL's clock may lag ours a little
		for i := 0; i < 2; i++ {
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("migrate #%d: %v", i+1, err)
			}
		}
		checkSchemaComplete(t, s)
		after, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range after {
			if !m.Applied || m.AppliedAt.Before(start) || m.AppliedAt.After(time.Now().Add(time.Minute)) {
				t.Errorf("%s after migrate: %+v, want applied now", m.Name, m)
			}
		}
	})
}

// legacyDatabase builds what the migrator before goose left: the schema of migrations 1..upTo
// and their rows in schema_migrations, applied at `at`.
func legacyDatabase(t *testing.T, s *Store, upTo int, at time.Time) {
	t.Helper()
	ctx := context.Background()
	files := fstest.MapFS{}
	var names []string
	for _, e := range mustReadDir(t, migrationFS(t)) {
		if v, _ := goose.NumericComponent(e.Name()); v <= int64(upTo) {
			body, _ := fs.ReadFile(migrationFS(t), e.Name())
			files[e.Name()] = &fstest.MapFile{Data: body}
			names = append(names, strings.TrimSuffix(e.Name(), ".sql"))
		}
	}
	db, _ := s.sqlDB()
	flavor := flavorSQLite
	if s.dialect == MySQL {
		flavor = flavorMariaDB
	}
	p, err := goose.NewProvider(map[Dialect]goose.Dialect{MySQL: goose.DialectMySQL, SQLite: goose.DialectSQLite3}[s.dialect], db,
		flavoredFS{base: files, flavor: flavor}, goose.WithDisableVersioning(true), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("build the legacy schema: %v", err)
	}
	ddl := flavor.rewrite("CREATE TABLE schema_migrations (version VARCHAR(128) NOT NULL PRIMARY KEY, applied_at DATETIME(6) NOT NULL)")
	if err := s.db.Exec(ddl).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := s.db.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", n, at).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func mustReadDir(t *testing.T, fsys fs.FS) []fs.DirEntry {
	t.Helper()
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestMigrateAdoptsLegacyDatabase(t *testing.T) {
	legacyAt := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	t.Run("all_applied", func(t *testing.T) {
		eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
			legacyDatabase(t, s, 5, legacyAt)
			// Proof that nothing runs again: an index the legacy database lacks stays absent
			// (0005 would create it).
			if err := s.db.Migrator().DropIndex("subscriptions", "subscriptions_grace_until"); err != nil {
				t.Fatal(err)
			}
			migrateAndCheckAdoption(t, s, 5, legacyAt)
			if s.db.Migrator().HasIndex("subscriptions", "subscriptions_grace_until") {
				t.Error("0005 ran again on an adopted database")
			}
		})
	})
	t.Run("three_applied", func(t *testing.T) {
		eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
			legacyDatabase(t, s, 3, legacyAt)
			migrateAndCheckAdoption(t, s, 3, legacyAt)
			checkSchemaComplete(t, s)
		})
	})
}

// migrateAndCheckAdoption checks the status before and after Migrate: the first `legacy`
// migrations were applied at legacyAt by the old migrator, the others now.
func migrateAndCheckAdoption(t *testing.T, s *Store, legacy int, legacyAt time.Time) {
	t.Helper()
	ctx := context.Background()
	before, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range before {
		if m.Applied || m.Legacy != (i < legacy) {
			t.Errorf("before adoption, %s: %+v (want legacy %v)", m.Name, m, i < legacy)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate a legacy database: %v", err)
	}
	after, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range after {
		if !m.Applied {
			t.Errorf("after migrate, %s is pending", m.Name)
		}
		if adopted := m.AppliedAt.Equal(legacyAt); adopted != (i < legacy) {
			t.Errorf("after migrate, %s applied at %s; adopted from the legacy table: %v, want %v", m.Name, m.AppliedAt, adopted, i < legacy)
		}
	}
}

func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
		ctx := context.Background()
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := s.migrationProvider(ctx, migrationFS(t))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 0); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		for _, table := range []string{"resellers", "subscriptions", "license_pools", "product_keys"} {
			if s.db.Migrator().HasTable(table) {
				t.Errorf("table %s is still there after every Down", table)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate after down: %v", err)
		}
		checkSchemaComplete(t, s)
	})
}

// A migration that fails half-way can be run again once fixed: on MySQL its first statements
// stay (DDL commits at once) and run again harmlessly; on SQLite it left nothing.
func TestMigrationFailedHalfWayRunsAgain(t *testing.T) {
	eachEmptyStore(t, func(t *testing.T, s *Store, _ string) {
		ctx := context.Background()
		broken := fstest.MapFS{}
		for _, e := range mustReadDir(t, migrationFS(t)) {
			body, _ := fs.ReadFile(migrationFS(t), e.Name())
			if e.Name() == "0003_activation.sql" {
				body = []byte(strings.Replace(string(body), "-- +goose Down",
					"CREATE INDEX IF NOT EXISTS broken ON no_such_table (x);\n\n-- +goose Down", 1))
			}
			broken[e.Name()] = &fstest.MapFile{Data: body}
		}
		err := s.migrate(ctx, broken)
		if err == nil || !strings.Contains(err.Error(), "0003_activation.sql") {
			t.Fatalf("migrate with a broken 0003: %v, want an error naming 0003_activation.sql", err)
		}
		for what, there := range map[string]bool{
			"enrollments.associated_at": s.db.Migrator().HasColumn("enrollments", "associated_at"),
			"product_keys":              s.db.Migrator().HasTable("product_keys"),
		} {
			if there != (s.dialect == MySQL) {
				t.Errorf("after 0003 failed, %s is there: %v (engine %s)", what, there, s.dialect)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate again with the fixed files: %v", err)
		}
		checkSchemaComplete(t, s)
		if s.dialect == MySQL {
			// Every migration runs again over a complete schema without an error.
			if err := s.db.Exec("DELETE FROM " + gooseTable + " WHERE version_id > 0").Error; err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("run every migration again: %v", err)
			}
		}
	})
}

func TestSQLFlavorRewrite(t *testing.T) {
	in := `CREATE TABLE IF NOT EXISTS t (a DATETIME(6) NULL);
CREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);
ALTER TABLE t ADD COLUMN IF NOT EXISTS b INT NULL;
DROP INDEX IF EXISTS t_a ON t;
ALTER TABLE t DROP COLUMN IF EXISTS b;`
	cases := map[sqlFlavor]string{
		flavorMariaDB: in,
		flavorMySQL: `CREATE TABLE IF NOT EXISTS t (a DATETIME(6) NULL);
CREATE UNIQUE INDEX t_a ON t (a);
ALTER TABLE t ADD COLUMN b INT NULL;
DROP INDEX t_a ON t;
ALTER TABLE t DROP COLUMN b;`,
		flavorSQLite: `CREATE TABLE IF NOT EXISTS t (a DATETIME NULL);
CREATE UNIQUE INDEX IF NOT EXISTS t_a ON t (a);
ALTER TABLE t ADD COLUMN b INT NULL;
DROP INDEX IF EXISTS t_a;
ALTER TABLE t DROP COLUMN b;`,
	}
	for flavor, want := range cases {
		if got := flavor.rewrite(in); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", flavor, got, want)
		}
	}
	// The wrapper serves the rewritten text with its own size.
	fsys := flavoredFS{base: fstest.MapFS{"0001_x.sql": {Data: []byte(in)}}, flavor: flavorSQLite}
	body, err := fs.ReadFile(fsys, "0001_x.sql")
	if err != nil || string(body) != cases[flavorSQLite] {
		t.Fatalf("read through flavoredFS: %q, %v", body, err)
	}
	if info, err := fs.Stat(fsys, "0001_x.sql"); err != nil || info.Size() != int64(len(body)) {
		t.Errorf("stat through flavoredFS: %v, %v; want size %d", info, err, len(body))
	}
}

// lockerDB opens a connection pool of its own to the store's database, as another process would.
func lockerDB(t *testing.T, s *Store, url string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", s.sqliteDSN
	if s.dialect == MySQL {
		var err error
		if _, dsn, err = ParseDatabaseURL(url); err != nil {
			t.Fatal(err)
		}
		driver = "mysql"
	}
	return testdb.OpenSQL(t, driver, dsn)
}

// TestMigrationsOutliveTheStatementTimeout: a migration statement that runs longer than the
// store's statement time limit (as a DDL waiting for its turn on a busy Galera cluster does)
// completes, while the same statement on the store's own pool is cut off at the limit.
func TestMigrationsOutliveTheStatementTimeout(t *testing.T) {
	dsn := testdb.MySQLDSN()
	if dsn == "" {
		t.Skip("TEST_MYSQL_DSN is not set: the statement time limit is MariaDB's")
	}
	ctx := context.Background()
	s, err := Open(ctx, Config{DatabaseURL: testdb.MySQL(t, dsn), StatementTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	slow := fstest.MapFS{}
	for _, e := range mustReadDir(t, migrationFS(t)) {
		body, _ := fs.ReadFile(migrationFS(t), e.Name())
		slow[e.Name()] = &fstest.MapFile{Data: body}
	}
	slow["9999_slow.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\nSELECT SLEEP(2);\n\n-- +goose Down\nSELECT 1;\n")}
	if err := s.migrate(ctx, slow); err == nil || !strings.Contains(err.Error(), "max_statement_time") {
		t.Fatalf("a 2 s statement on the store's pool (1 s limit): %v, want max_statement_time exceeded (else this test proves nothing)", err)
	}
	m, done, err := s.forMigrations()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if err := m.migrate(ctx, slow); err != nil {
		t.Fatalf("a 2 s migration statement on the migrations' pool: %v", err)
	}
}
