// Package concurrent runs a test's calls at once. It imports nothing of the project, so every
// test package can use it, the models package's own tests included.
package concurrent

import "sync"

// AllAtOnce runs fn(0..n-1) in goroutines released together once all of them have started, and
// returns their results in order.
func AllAtOnce[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}
