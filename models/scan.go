package models

import (
	"fmt"
	"reflect"
	"slices"
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
		bind(dest, index, reflect.ValueOf(&out[len(out)-1]).Elem(), &discard)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// pairSplit names the column between the two rows of a joined read (scanPairs).
const pairSplit = "pair_split_"

// scanPairs runs q, whose columns are A's, then one named pairSplit, then B's (SELECT a.*, 0 AS
// pair_split_, b.* FROM a JOIN b ...), and scans each row into an A and a B: two objects in one
// statement, although their tables share column names.
func scanPairs[A, B any](q *gorm.DB) ([]A, []B, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	split := slices.Index(columns, pairSplit)
	if split < 0 {
		return nil, nil, fmt.Errorf("scan pairs: no %s column among %v", pairSplit, columns)
	}
	indexA, err := fieldIndex(reflect.TypeFor[A](), columns[:split], q.NamingStrategy)
	if err != nil {
		return nil, nil, err
	}
	indexB, err := fieldIndex(reflect.TypeFor[B](), columns[split+1:], q.NamingStrategy)
	if err != nil {
		return nil, nil, err
	}
	var as []A
	var bs []B
	dest := make([]any, len(columns))
	var discard any
	dest[split] = &discard
	for rows.Next() {
		as, bs = append(as, *new(A)), append(bs, *new(B))
		bind(dest[:split], indexA, reflect.ValueOf(&as[len(as)-1]).Elem(), &discard)
		bind(dest[split+1:], indexB, reflect.ValueOf(&bs[len(bs)-1]).Elem(), &discard)
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
	}
	return as, bs, rows.Err()
}

// bind points dest at the fields of row that index gives for each column; a column the struct
// does not hold (a window's row number) is scanned into discard.
func bind(dest []any, index [][]int, row reflect.Value, discard *any) {
	for i, path := range index {
		if path == nil {
			dest[i] = discard
			continue
		}
		dest[i] = row.FieldByIndex(path).Addr().Interface()
	}
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
