package resolvers

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"testing"
)

// A global ID is base64url("Type:id") without padding (events name objects the same way: they
// make them with the same function), and reads back as its type and id; a type name longer than
// the stack buffer the ID is built in makes the same ID.
func TestGlobalIDsAreBase64URLOfTypeAndID(t *testing.T) {
	long := strings.Repeat("VeryLongTypeName", 8)
	for _, typ := range []string{"Order", "Enrollment", "Subscription", "WebhookDelivery", long} {
		for _, id := range []int64{1, 253315140049579059, math.MaxInt64} {
			got := globalID(typ, id)
			if want := base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10))); got != want {
				t.Errorf("globalID(%s, %d) = %s, want %s", typ, id, got, want)
			}
			if gotTyp, gotID, ok := parseGlobalID(got); !ok || gotTyp != typ || gotID != id {
				t.Errorf("parseGlobalID(%s) = %s, %d, %v; want %s, %d", got, gotTyp, gotID, ok, typ, id)
			}
		}
	}
}

// A list's cursor is base64url("c:id") and page reads its id back as the page's After.
func TestCursorReadsBackAsAfter(t *testing.T) {
	for _, id := range []int64{1, 253315140049579059, math.MaxInt64} {
		c := cursor(id)
		if want := base64.RawURLEncoding.EncodeToString([]byte("c:" + strconv.FormatInt(id, 10))); c != want {
			t.Errorf("cursor(%d) = %s, want %s", id, c, want)
		}
		if p, err := page(nil, &c); err != nil || p.After != id {
			t.Errorf("page(after: cursor(%d)) = %+v, %v", id, p, err)
		}
	}
}
