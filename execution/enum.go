package execution

import (
	"io"
	"strconv"
)

// WriteEnum writes an enum value as a JSON string: what gqlgen's generated MarshalGQL writes
// (strconv.Quote through fmt.Fprint), without its allocations. An enum value is a GraphQL Name,
// which needs no escaping; anything else (a value no enum has) is quoted as gqlgen quotes it.
// tools/graphgen points every generated enum's MarshalGQL here.
func WriteEnum(w io.Writer, v string) {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			_, _ = io.WriteString(w, strconv.Quote(v))
			return
		}
	}
	_, _ = io.WriteString(w, `"`)
	_, _ = io.WriteString(w, v)
	_, _ = io.WriteString(w, `"`)
}
