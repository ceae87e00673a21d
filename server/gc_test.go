package server

import (
	"runtime/debug"
	"testing"
)

// The server's GC defaults apply only where the operator set nothing.
func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	env := map[string]string{}
	p, l := TuneGC(func(k string) string { return env[k] })
	if p != DefaultGCPercent || l != DefaultMemoryLimit {
		t.Errorf("nothing set: GOGC %d, limit %d; want %d, %d", p, l, DefaultGCPercent, DefaultMemoryLimit)
	}

	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)
	env = map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"} // the runtime read them at start
	if p, l := TuneGC(func(k string) string { return env[k] }); p != 150 || l != 1<<30 {
		t.Errorf("operator's settings: GOGC %d, limit %d; want 150, %d", p, l, 1<<30)
	}
}
