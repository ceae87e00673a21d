package models

// Migrations are SQL files in models/migrations, embedded in the binary and applied by goose
// (github.com/pressly/goose/v3, used as a library), which records them in goose_db_version.
//
// To add a migration:
//   - Name it NNNN_what.sql with the next number (0006_something.sql): goose orders migrations
//     by that number, and one that is already applied is never run again, so never edit or
//     renumber a file that has shipped; add a new one instead.
//   - Start its statements with a "-- +goose Up" line and put the statements that undo it after
//     a "-- +goose Down" line. End every statement with ";" at the end of a line (a statement with
//     inner semicolons goes between "-- +goose StatementBegin" and "-- +goose StatementEnd").
//     Comments may not contain "+goose".
//   - Make it safe to run again: MySQL commits each DDL statement on its own, so a migration that
//     failed half-way is run again from its first statement. Use CREATE TABLE IF NOT EXISTS,
//     CREATE [UNIQUE] INDEX IF NOT EXISTS, ALTER TABLE ... ADD COLUMN IF NOT EXISTS, DROP ... IF
//     EXISTS, and data changes that give the same result twice (UPDATE ... WHERE, not +1).
//   - Write MariaDB SQL that SQLite also understands: no foreign keys, no AUTO_INCREMENT (ids are
//     made by the application), no triggers, no stored procedures. The files are rewritten per
//     engine before goose reads them (migrate_sql.go): on SQLite DATETIME(6) becomes DATETIME,
//     IF [NOT] EXISTS is dropped from columns and "ON table" from DROP INDEX; on MySQL 8 IF [NOT]
//     EXISTS is dropped from indexes and columns, which MySQL lacks.
//   - Run `go test ./models/...` with and without TEST_MYSQL_DSN: the tests apply, undo and
//     re-apply every migration on both engines.
//
// Every replica may run Migrate at start-up: the runs take turns through the schema_lock row
// (migrate_lock.go), which holds across replicas and Galera nodes. Databases migrated by the
// migrator before goose (rows 0001_core ... in schema_migrations) are adopted on the first run:
// those versions are recorded in goose_db_version as applied, and nothing is run again.

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// gooseTable is where goose records applied migrations (its default name).
const gooseTable = goose.DefaultTablename

// Migrate applies the migrations that have not run yet, then loads the SKU catalog, all under
// the migration lock, so concurrent callers on any replica or Galera node wait their turn.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return err
	}
	m, done, err := s.forMigrations()
	if err != nil {
		return err
	}
	defer done()
	if err := m.migrate(ctx, files); err != nil {
		return err
	}
	return m.backfillLicenseCells(ctx)
}

// forMigrations is this store on a pool of its own without the statement time limit
// (migrateDSN), and the func that closes that pool; a store without one (SQLite) is itself.
// The catalog and the rollup's state are shared with s, so that s sees what Migrate loads.
func (s *Store) forMigrations() (*Store, func(), error) {
	if s.migrateDSN == "" {
		return s, func() {}, nil
	}
	pool, err := sql.Open("mysql", s.migrateDSN)
	if err != nil {
		return nil, nil, fmt.Errorf("open the migrations' pool: %w", err)
	}
	pool.SetMaxOpenConns(4)
	db, err := gorm.Open(dialector(s.dialect, "", pool), gormConfig())
	if err != nil {
		_ = pool.Close()
		return nil, nil, fmt.Errorf("open the migrations' pool: %w", err)
	}
	m := *s
	m.db = db
	return &m, func() { _ = pool.Close() }, nil
}

// backfillLicenseCells fills the summary's rollup once, after the migration that made it
// (0013): the first replica to start takes the migration lock and builds it, the others wait,
// then find license_cells_built and go on. Until it is built the summary takes the slow path.
func (s *Store) backfillLicenseCells(ctx context.Context) error {
	return s.withMigrationLock(ctx, func(ctx context.Context) error {
		built, err := s.licenseCellsBuilt(ctx)
		if err != nil || built {
			return err
		}
		start := time.Now()
		if err := s.RebuildLicenseCells(ctx, start); err != nil {
			return err
		}
		s.logger().InfoContext(ctx, "built the license summary rollup", "duration", time.Since(start).String())
		return nil
	})
}

// migrate is Migrate over any set of migration files (tests use broken ones).
func (s *Store) migrate(ctx context.Context, files fs.FS) error {
	p, err := s.migrationProvider(ctx, files)
	if err != nil {
		return err
	}
	return s.withMigrationLock(ctx, func(ctx context.Context) error {
		if err := s.adoptLegacyMigrations(ctx, p); err != nil {
			return err
		}
		if err := s.useUTF8MB4(ctx); err != nil {
			return err
		}
		results, err := p.Up(ctx)
		for _, r := range results {
			s.logger().InfoContext(ctx, "applied migration", "migration", r.Source.Path, "duration", r.Duration.String())
		}
		if err != nil {
			var partial *goose.PartialError
			if errors.As(err, &partial) && partial.Failed != nil {
				for _, r := range partial.Applied {
					s.logger().InfoContext(ctx, "applied migration", "migration", r.Source.Path, "duration", r.Duration.String())
				}
				return fmt.Errorf("migration %s: %w", partial.Failed.Source.Path, partial.Err)
			}
			return fmt.Errorf("migrate: %w", err)
		}
		if err := s.convertToUTF8MB4(ctx); err != nil {
			return err
		}
		return s.loadCatalog(ctx)
	})
}

// migrationProvider is a goose provider over the files, rewritten to this store's SQL flavor.
func (s *Store) migrationProvider(ctx context.Context, files fs.FS) (*goose.Provider, error) {
	db, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	dialect, flavor := goose.DialectSQLite3, flavorSQLite
	if s.dialect == MySQL {
		dialect, flavor = goose.DialectMySQL, flavorMariaDB
		var version string
		if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
			return nil, fmt.Errorf("read the server version: %w", err)
		}
		if !strings.Contains(strings.ToLower(version), "mariadb") {
			flavor = flavorMySQL
		}
	}
	return goose.NewProvider(dialect, db, flavoredFS{base: files, flavor: flavor},
		goose.WithDisableGlobalRegistry(true), goose.WithSlog(s.logger()))
}

// withMigrationLock runs fn under the migration lock. An in-memory SQLite store is private to
// this process, so it needs none.
func (s *Store) withMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.dialect == MySQL {
		db, err := s.sqlDB()
		if err != nil {
			return err
		}
		return newMigrationLock(db, s.dialect, s.logger()).hold(ctx, fn)
	}
	if s.sqliteDSN == "" || strings.Contains(s.sqliteDSN, ":memory:") || strings.Contains(s.sqliteDSN, "mode=memory") {
		return fn(ctx)
	}
	// The store keeps one SQLite connection, which goose holds while it migrates: the lock
	// renews its lease over a connection of its own.
	db, err := sql.Open("sqlite", s.sqliteDSN)
	if err != nil {
		return fmt.Errorf("open the migration lock's connection: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	return newMigrationLock(db, s.dialect, s.logger()).hold(ctx, fn)
}

// adoptLegacyMigrations records as applied in goose's table the migrations that the migrator
// before goose applied (its schema_migrations rows), so that goose does not run them again.
func (s *Store) adoptLegacyMigrations(ctx context.Context, p *goose.Provider) error {
	legacy, err := s.legacyMigrations(ctx)
	if err != nil || len(legacy) == 0 {
		return err
	}
	statuses, err := p.Status(ctx) // creates goose's table if it is missing
	if err != nil {
		return err
	}
	known := map[string]bool{}
	return s.InTx(ctx, func(tx *Store) error {
		for _, st := range statuses {
			name := migrationName(st.Source.Path)
			known[name] = true
			appliedAt, ok := legacy[name]
			if !ok || st.State == goose.StateApplied {
				continue
			}
			err := tx.ctx(ctx).Exec("INSERT INTO "+gooseTable+" (version_id, is_applied, tstamp) VALUES (?, ?, ?)",
				st.Source.Version, true, appliedAt.UTC().Format(time.DateTime)).Error
			if err != nil {
				return fmt.Errorf("adopt migration %s: %w", name, err)
			}
			s.logger().InfoContext(ctx, "adopted a migration applied before goose", "migration", name)
		}
		for name := range legacy {
			if !known[name] {
				return fmt.Errorf("schema_migrations lists %s, which this build does not have", name)
			}
		}
		return nil
	})
}

// legacyMigrations reads schema_migrations, the table of the migrator before goose: version
// (the file name without .sql) to the time it was applied. No table means none.
func (s *Store) legacyMigrations(ctx context.Context) (map[string]time.Time, error) {
	if !s.db.WithContext(ctx).Migrator().HasTable("schema_migrations") {
		return nil, nil
	}
	var rows []struct {
		Version   string
		AppliedAt time.Time
	}
	if err := s.ctx(ctx).Raw("SELECT version, applied_at FROM schema_migrations").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := make(map[string]time.Time, len(rows))
	for _, r := range rows {
		out[r.Version] = r.AppliedAt
	}
	return out, nil
}

func migrationName(path string) string {
	return strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".sql")
}

// MigrationState is one migration as `licensing-api migrate status` shows it.
type MigrationState struct {
	Name      string    // the file, e.g. 0001_core.sql
	Applied   bool      // recorded as applied
	AppliedAt time.Time // when, in UTC, if Applied
	// Legacy: applied by the migrator before goose and not yet adopted (the next migrate
	// records it without running it).
	Legacy bool
}

// MigrationStatus lists every migration of this build, applied or pending. It writes nothing
// and takes no lock, so it answers while another process migrates.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	files, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	p, err := s.migrationProvider(ctx, files)
	if err != nil {
		return nil, err
	}
	legacy, err := s.legacyMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var out []MigrationState
	for _, src := range p.ListSources() {
		name := migrationName(src.Path)
		_, old := legacy[name]
		out = append(out, MigrationState{Name: name + ".sql", Legacy: old})
	}
	if !s.db.WithContext(ctx).Migrator().HasTable(gooseTable) {
		return out, nil // never migrated by goose; Status would create its table
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	for i, st := range statuses {
		if st.State == goose.StateApplied {
			out[i].Applied, out[i].AppliedAt, out[i].Legacy = true, st.AppliedAt.UTC(), false
		}
	}
	return out, nil
}

func (s *Store) logger() *slog.Logger {
	if s.log != nil {
		return s.log
	}
	return slog.New(slog.DiscardHandler)
}
