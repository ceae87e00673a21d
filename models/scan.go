package models

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Scanning the rows of the hot reads (nested pages) straight into their structs: GORM's Scan
// goes through an intermediate value and a setter per column, which cost about as much as
// database/sql's own scan on the list page (issue 11). Columns map to fields as GORM maps them
// (the column tag, else the naming strategy; embedded structs flattened), so the same structs
// serve both.

// scanAll runs q and scans every row into a T.
func scanAll[T any](q *gorm.DB) ([]T, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	index, err := fieldIndex(reflect.TypeFor[T](), columns, q.NamingStrategy)
	if err != nil {
		return nil, err
	}
	var out []T
	dest := make([]any, len(columns))
	var discard any
	for rows.Next() {
		out = append(out, *new(T))
		row := reflect.ValueOf(&out[len(out)-1]).Elem()
		for i, path := range index {
			if path == nil {
				dest[i] = &discard // a column the struct does not hold (a window's row number)
				continue
			}
			dest[i] = row.FieldByIndex(path).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// columnIndexes caches, by struct type and column list, the field each column is scanned into.
var columnIndexes sync.Map // string → [][]int

// fieldIndex returns, for each column, the index path of its field in t (nil: no field).
func fieldIndex(t reflect.Type, columns []string, naming schema.Namer) ([][]int, error) {
	key := t.String() + "\x00" + strings.Join(columns, ",")
	if v, ok := columnIndexes.Load(key); ok {
		return v.([][]int), nil
	}
	byColumn := map[string][]int{}
	if err := collectColumns(t, nil, naming, byColumn); err != nil {
		return nil, err
	}
	out := make([][]int, len(columns))
	for i, c := range columns {
		out[i] = byColumn[c]
	}
	columnIndexes.Store(key, out)
	return out, nil
}

// collectColumns adds the column of every field of t (under the index path at) to byColumn.
func collectColumns(t reflect.Type, at []int, naming schema.Namer, byColumn map[string][]int) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := schema.ParseTagSetting(f.Tag.Get("gorm"), ";")
		if !f.IsExported() || f.Tag.Get("gorm") == "-" {
			continue
		}
		path := append(append([]int(nil), at...), i)
		if _, embedded := tag["EMBEDDED"]; embedded || (f.Anonymous && f.Type.Kind() == reflect.Struct) {
			if err := collectColumns(f.Type, path, naming, byColumn); err != nil {
				return err
			}
			continue
		}
		if _, ok := tag["SERIALIZER"]; ok {
			return fmt.Errorf("scan: %s.%s uses a serializer: read it with GORM", t, f.Name)
		}
		column := tag["COLUMN"]
		if column == "" {
			column = naming.ColumnName("", f.Name)
		}
		if _, seen := byColumn[column]; !seen {
			byColumn[column] = path
		}
	}
	return nil
}
