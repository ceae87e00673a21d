package models

import (
	"context"
	"fmt"
)

// The MySQL schema is utf8mb4 whatever the server's default: a server whose default is latin1
// would otherwise create tables that refuse any name outside Latin-1 ("Incorrect string value"),
// and the connection itself asks for utf8mb4 (ParseDatabaseURL). The collation is the one MySQL
// and MariaDB both have, case-insensitive like the defaults the unique numbers were built on.
const (
	charset   = "utf8mb4"
	collation = "utf8mb4_unicode_ci"
)

// useUTF8MB4 makes utf8mb4 the database's default before migrations create tables, so tables
// created from here on are utf8mb4. It changes nothing on a database that already is.
func (s *Store) useUTF8MB4(ctx context.Context) error {
	if s.dialect != MySQL {
		return nil
	}
	var current string
	if err := s.ctx(ctx).Raw("SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()").Scan(&current).Error; err != nil {
		return fmt.Errorf("read the database's character set: %w", err)
	}
	if current == charset {
		return nil
	}
	return s.ctx(ctx).Exec("ALTER DATABASE CHARACTER SET " + charset + " COLLATE " + collation).Error
}

// convertToUTF8MB4 converts the tables still in another character set (made before
// useUTF8MB4 existed, on a latin1 server). Rerunning it finds nothing to do.
func (s *Store) convertToUTF8MB4(ctx context.Context) error {
	if s.dialect != MySQL {
		return nil
	}
	var tables []string
	err := s.ctx(ctx).Raw(`SELECT t.TABLE_NAME FROM information_schema.TABLES t
		JOIN information_schema.COLLATION_CHARACTER_SET_APPLICABILITY c ON c.COLLATION_NAME = t.TABLE_COLLATION
		WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' AND c.CHARACTER_SET_NAME <> ?`, charset).Scan(&tables).Error
	if err != nil {
		return fmt.Errorf("find tables not in %s: %w", charset, err)
	}
	for _, t := range tables {
		if err := s.ctx(ctx).Exec("ALTER TABLE `" + t + "` CONVERT TO CHARACTER SET " + charset + " COLLATE " + collation).Error; err != nil {
			return fmt.Errorf("convert %s to %s: %w", t, charset, err)
		}
		s.logger().InfoContext(ctx, "converted a table to utf8mb4", "table", t)
	}
	return nil
}
