package clustertest

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain keeps the servers' own warnings (thousands of "cannot check an API key" while a node
// is down) out of the test output; the tests judge the answers instead.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
