// Package jsonpath reads values out of decoded JSON (maps and slices from encoding/json) by a
// path of keys and indexes, for tests and tools that look at GraphQL responses.
package jsonpath

// Get walks a path of map keys (string) and list indexes (int); a missing step gives nil.
func Get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k < 0 || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// Str is Get for a string ("" when the value is missing or not a string).
func Str(v any, path ...any) string { s, _ := Get(v, path...).(string); return s }

// Num is Get for a JSON number, as an int (0 when missing).
func Num(v any, path ...any) int { f, _ := Get(v, path...).(float64); return int(f) }
