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

// pairSplit names the column between two rows of a joined read (scanParts).
const pairSplit = "pair_split_"

// scanPairs runs q, whose columns are A's, then one named pairSplit, then B's (SELECT a.*, 0 AS
// pair_split_, b.* FROM a JOIN b ...), and scans each row into an A and a B: two objects in one
// statement, although their tables share column names.
func scanPairs[A, B any](q *gorm.DB) ([]A, []B, error) {
	var as []A
	var bs []B
	err := scanParts(q, &as, &bs)
	return as, bs, err
}

// scanParts runs q, whose columns are those of several row structs in turn with a pairSplit
// column between two of them, and appends each row's parts to the slices parts points to
// (*[]A, *[]B, ... in the order of the columns). A part given as *[]*C is optional (a LEFT
// JOIN's): a row whose C columns are all NULL appends nil.
func scanParts(q *gorm.DB, parts ...any) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	var splits []int
	for i, c := range columns {
		if c == pairSplit {
			splits = append(splits, i)
		}
	}
	if len(splits) != len(parts)-1 {
		return fmt.Errorf("scan parts: %d %s columns among %v for %d parts", len(splits), pairSplit, columns, len(parts))
	}
	type part struct {
		slice      reflect.Value // the []T or []*T parts[i] points to
		optional   *nullableRow  // for a []*T: T with every field a pointer
		from, to   int           // its columns
		fieldIndex [][]int
	}
	ps := make([]part, len(parts))
	for i, p := range parts {
		v := reflect.ValueOf(p)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Slice {
			return fmt.Errorf("scan parts: part %d is a %T, not a pointer to a slice", i, p)
		}
		from, to := 0, len(columns)
		if i > 0 {
			from = splits[i-1] + 1
		}
		if i < len(splits) {
			to = splits[i]
		}
		pt := part{slice: v.Elem(), from: from, to: to}
		scanned := v.Elem().Type().Elem()
		if scanned.Kind() == reflect.Pointer {
			nr, err := nullableOf(scanned.Elem(), q.NamingStrategy)
			if err != nil {
				return err
			}
			pt.optional, scanned = nr, nr.typ
		}
		index, err := fieldIndex(scanned, columns[from:to], q.NamingStrategy)
		if err != nil {
			return err
		}
		pt.fieldIndex = index
		ps[i] = pt
	}
	dest := make([]any, len(columns))
	var discard any
	for _, i := range splits {
		dest[i] = &discard
	}
	optional := make([]reflect.Value, len(ps))
	for rows.Next() {
		for i, p := range ps {
			if p.optional != nil {
				optional[i] = reflect.New(p.optional.typ).Elem()
				bind(dest[p.from:p.to], p.fieldIndex, optional[i], &discard)
				continue
			}
			p.slice.Set(reflect.Append(p.slice, reflect.Zero(p.slice.Type().Elem())))
			bind(dest[p.from:p.to], p.fieldIndex, p.slice.Index(p.slice.Len()-1), &discard)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, p := range ps {
			if p.optional != nil {
				p.slice.Set(reflect.Append(p.slice, p.optional.row(optional[i])))
			}
		}
	}
	return rows.Err()
}

// nullableRow is a row struct T as a LEFT JOIN reads it: a struct with a pointer to each of
// T's columns, under the same column names, so that NULL scans into any of them.
type nullableRow struct {
	typ   reflect.Type // struct{ F0 *A `gorm:"column:a"`; ... }
	of    reflect.Type // T
	paths [][]int      // T's field of each of typ's fields
}

var nullableRows sync.Map // reflect.Type → *nullableRow

// nullableOf returns T's nullableRow.
func nullableOf(t reflect.Type, naming schema.Namer) (*nullableRow, error) {
	if v, ok := nullableRows.Load(t); ok {
		return v.(*nullableRow), nil
	}
	byColumn := map[string][]int{}
	if err := collectColumns(t, nil, naming, byColumn); err != nil {
		return nil, err
	}
	columns := make([]string, 0, len(byColumn))
	for c := range byColumn {
		columns = append(columns, c)
	}
	slices.Sort(columns)
	nr := &nullableRow{of: t}
	fields := make([]reflect.StructField, len(columns))
	for i, c := range columns {
		path := byColumn[c]
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: reflect.PointerTo(t.FieldByIndex(path).Type), Tag: reflect.StructTag(`gorm:"column:` + c + `"`)}
		nr.paths = append(nr.paths, path)
	}
	nr.typ = reflect.StructOf(fields)
	v, _ := nullableRows.LoadOrStore(t, nr)
	return v.(*nullableRow), nil
}

// row returns the *T of a scanned nullable row v, nil when every column was NULL.
func (nr *nullableRow) row(v reflect.Value) reflect.Value {
	out := reflect.New(nr.of)
	present := false
	for i, path := range nr.paths {
		if f := v.Field(i); !f.IsNil() {
			out.Elem().FieldByIndex(path).Set(f.Elem())
			present = true
		}
	}
	if !present {
		return reflect.Zero(reflect.PointerTo(nr.of))
	}
	return out
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
