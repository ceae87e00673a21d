package e2e

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/testenv"
	"github.com/licensing-api/licensing-api/testenv/hostile"
	"github.com/licensing-api/licensing-api/testenv/testdb"
)

// BenchmarkHostile measures what refusing each attack costs the server: time and bytes
// allocated per refused request, through the real handler with the default limits, on the
// embedded store. The README's "Limits" section has the figures and the targets (every attack
// refused in under 50 ms and 5 MB).
//
//	go test -run '^$' -bench Hostile -benchmem ./e2e
func BenchmarkHostile(b *testing.B) {
	h := newHostileWorld(b, testenv.Open(b, testdb.SQLite(b)), server.Limits{})
	for _, a := range hostile.All() {
		b.Run(strings.ReplaceAll(a.Family, " ", "_")+"/"+a.Name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				req, _ := a.Request("http://api.test", h.key(a.Key))
				rec := httptest.NewRecorder()
				h.e.Handler.ServeHTTP(rec, req)
				if rec.Code != a.Status {
					b.Fatalf("%s: status %d, want %d: %s", a.Name, rec.Code, a.Status, rec.Body.String()[:min(200, rec.Body.Len())])
				}
			}
		})
	}
}
