package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrate applies the embedded migrations that have not run yet, in file-name order, and
// records each in schema_migrations. Statements are split on ";" at line ends. MySQL commits
// DDL implicitly, so a migration that fails half-way is reported by name for a person to fix.
func (s *Store) Migrate(ctx context.Context) error {
	db := s.ctx(ctx)
	if err := db.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version VARCHAR(128) NOT NULL PRIMARY KEY,
		applied_at DATETIME(6) NOT NULL)`).Error; err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var done []string
	if err := db.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
		return err
	}
	applied := map[string]bool{}
	for _, v := range done {
		applied[v] = true
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if applied[version] {
			continue
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sql := string(body)
		if s.dialect == SQLite {
			// The SQLite driver returns times only for the exact declared type DATETIME.
			sql = strings.ReplaceAll(sql, "DATETIME(6)", "DATETIME")
		}
		for _, stmt := range splitStatements(sql) {
			if err := db.Exec(stmt).Error; err != nil {
				return fmt.Errorf("migration %s: %w", version, err)
			}
		}
		if err := db.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, time.Now().UTC()).Error; err != nil {
			return err
		}
	}
	return s.loadCatalog(ctx)
}

func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}
