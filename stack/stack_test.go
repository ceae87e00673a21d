package stack

import "testing"

// Grow's frame must stay on the stack: on the heap it would allocate 8 KiB a call and grow
// nothing.
func TestGrowAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, Grow); n != 0 {
		t.Fatalf("Grow allocates %v times a call: its frame escaped to the heap", n)
	}
}

// deep recurses through depth frames of about 100 bytes each, as a call chain through
// middleware does: the runtime's cost of growing a stack is mostly in walking its frames.
//
//go:noinline
func deep(depth int) byte {
	var pad [64]byte
	pad[depth%64] = byte(depth)
	if depth == 0 {
		return pad[0]
	}
	return deep(depth-1) + pad[depth%64]
}

// BenchmarkGoroutine16KiB starts goroutines that go 16 KiB deep, with and without Grow first:
// go test -bench Goroutine ./stack
func BenchmarkGoroutine16KiB(b *testing.B) {
	for _, grow := range []bool{false, true} {
		name := "growing"
		if grow {
			name = "grown"
		}
		b.Run(name, func(b *testing.B) {
			done := make(chan byte)
			for b.Loop() {
				go func() {
					if grow {
						Grow()
					}
					done <- deep(150)
				}()
				<-done
			}
		})
	}
}
