package e2e

import "testing"

func TestSmoke(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		w := e.newWorld("Contoso", "ENTERPRISE", "EA-1", "ENR-1")
		d := e.ok(w.Key, `query($n: String!) { enrollment(number: $n) { number agreement { number customer { organizationName } } } }`, map[string]any{"n": "ENR-1"})
		if got := str(d, "enrollment", "agreement", "customer", "organizationName"); got != "Fabrikam" {
			t.Fatalf("got %q", got)
		}
	})
}
