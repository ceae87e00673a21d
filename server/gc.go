package server

import (
	"runtime/debug"
)

// Garbage collection defaults for the server. A page of a thousand objects allocates about
// 50,000 times (gqlgen makes a field context per field), and with Go's default GOGC=100 the
// collector took about a third of the CPU of the list page (cmd/readbench -cpuprofile). A
// higher GOGC trades memory for that CPU; the soft memory limit makes the collector work
// harder again before the heap outgrows what a replica is given. Both yield to the
// operator's own GOGC and GOMEMLIMIT.
const (
	DefaultGCPercent   = 400
	DefaultMemoryLimit = 256 << 20 // bytes
)

// TuneGC applies the defaults where the environment (getenv) does not set GOGC or GOMEMLIMIT,
// and returns the GC percent and memory limit in force.
func TuneGC(getenv func(string) string) (percent int, limit int64) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	percent = debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	return percent, debug.SetMemoryLimit(-1)
}
