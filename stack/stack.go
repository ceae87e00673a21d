// Package stack grows a goroutine's stack in one step where its work is known to go deep.
//
// A goroutine starts with a small stack that the runtime doubles, copying all of it, each time
// a call would overflow it. Resolving a field goes through gqlgen's middleware, the resolvers,
// GORM, database/sql and the driver, about 16 KiB deep: a goroutine started for one (a root field,
// a prefetch, a read run alongside another) grew its stack three or four times, copying the
// deepening stack each time; on the detail page that was 9% of the API's CPU in readbench's
// profile (runtime.newstack), under 2% with Grow called first in those goroutines (issue 11).
package stack

// Grow gives the calling goroutine a stack of at least 16 KiB, in one copy while its stack is
// still shallow: call it first in a goroutine that will resolve or read.
//
//go:noinline
func Grow() {
	var frame [8 << 10]byte // the runtime doubles the stack until this frame fits: 16 KiB
	keep(frame[:])
}

// keep makes frame used, so that the compiler keeps it on the stack (it does not escape).
//
//go:noinline
func keep([]byte) {}
