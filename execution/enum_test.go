package execution

import (
	"bytes"
	"strconv"
	"testing"
)

// WriteEnum writes what gqlgen's generated MarshalGQL writes (strconv.Quote), for enum values
// and for anything else, and allocates nothing for an enum value.
func TestWriteEnumWritesWhatGqlgenWrites(t *testing.T) {
	for _, v := range []string{"ACTIVE", "IN_GRACE", "Office_365_E3", "", "not a name", `quo"te`, "ünïcode", "tab\there"} {
		var buf bytes.Buffer
		WriteEnum(&buf, v)
		if got, want := buf.String(), strconv.Quote(v); got != want {
			t.Errorf("WriteEnum(%q) wrote %s, want %s", v, got, want)
		}
	}
	var buf bytes.Buffer
	buf.Grow(64)
	if n := testing.AllocsPerRun(100, func() { buf.Reset(); WriteEnum(&buf, "DEPROVISIONED") }); n != 0 {
		t.Fatalf("WriteEnum allocates %v times for an enum value, want 0", n)
	}
}
