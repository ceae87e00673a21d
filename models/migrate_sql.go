package models

import (
	"io"
	"io/fs"
	"regexp"
	"strings"
)

// sqlFlavor is the SQL a migration file is rewritten to before goose reads it. The files are
// written for MariaDB; the other engines get the nearest equivalent.
type sqlFlavor string

const (
	flavorMariaDB sqlFlavor = "mariadb"
	flavorMySQL   sqlFlavor = "mysql"
	flavorSQLite  sqlFlavor = "sqlite"
)

var (
	// MySQL 8 has no IF [NOT] EXISTS on indexes and columns. Without it a migration that failed
	// half-way must be finished by hand there (MariaDB and SQLite need no such care).
	mysqlIfExists = regexp.MustCompile(`(?i)\b(CREATE (?:UNIQUE )?INDEX|ADD COLUMN|DROP INDEX|DROP COLUMN) IF (?:NOT )?EXISTS\b`)
	// SQLite runs each migration in one transaction, DDL included, so a failed one leaves
	// nothing behind and a column needs no IF NOT EXISTS (which SQLite does not accept).
	sqliteColumn    = regexp.MustCompile(`(?i)\b(ADD COLUMN|DROP COLUMN) IF (?:NOT )?EXISTS\b`)
	sqliteDropIndex = regexp.MustCompile(`(?i)\b(DROP INDEX IF EXISTS \w+) ON \w+`)
)

// rewrite turns a migration written for MariaDB into the flavor's SQL.
func (f sqlFlavor) rewrite(sql string) string {
	switch f {
	case flavorMySQL:
		return mysqlIfExists.ReplaceAllString(sql, "$1")
	case flavorSQLite:
		// The SQLite driver returns times only for the exact declared type DATETIME.
		sql = strings.ReplaceAll(sql, "DATETIME(6)", "DATETIME")
		sql = sqliteColumn.ReplaceAllString(sql, "$1")
		return sqliteDropIndex.ReplaceAllString(sql, "$1")
	}
	return sql
}

// flavoredFS serves the migration files rewritten to one flavor; directories pass through.
type flavoredFS struct {
	base   fs.FS
	flavor sqlFlavor
}

func (f flavoredFS) Open(name string) (fs.File, error) {
	file, err := f.base.Open(name)
	if err != nil || !strings.HasSuffix(name, ".sql") {
		return file, err
	}
	body, err := io.ReadAll(file)
	if err != nil {
		_ = file.Close()
		return nil, err
	}
	return &flavoredFile{File: file, r: strings.NewReader(f.flavor.rewrite(string(body)))}, nil
}

// flavoredFile reads the rewritten text; Stat and Close are the original file's, but for the size.
type flavoredFile struct {
	fs.File
	r *strings.Reader
}

func (f *flavoredFile) Read(p []byte) (int, error) { return f.r.Read(p) }

func (f *flavoredFile) Stat() (fs.FileInfo, error) {
	info, err := f.File.Stat()
	if err != nil {
		return nil, err
	}
	return sizedInfo{FileInfo: info, size: f.r.Size()}, nil
}

type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (i sizedInfo) Size() int64 { return i.size }
