package models

import (
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// A request's independent reads run at the same time while the process serves no more requests
// than it has cores, and one after the other beyond that (SpreadReads); either way every read
// runs and their errors come back.
func TestConcurrentReadsOnlyWhenTheProcessIsNotBusy(t *testing.T) {
	s := sqliteTestStore(t)
	// overlap runs two reads that each wait a little for the other to start, and tells whether
	// they overlapped.
	overlap := func() (bool, error) {
		var active, most atomic.Int32
		read := func() error {
			n := active.Add(1)
			defer active.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			deadline := time.Now().Add(200 * time.Millisecond)
			for active.Load() < 2 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			return nil
		}
		err := s.concurrently(read, read)
		return most.Load() == 2, err
	}

	done := s.Serving()
	if !s.SpreadReads() {
		t.Fatal("one request in flight: its reads should spread")
	}
	if both, err := overlap(); !both || err != nil {
		t.Fatalf("one request in flight: reads overlapped %v (want true), %v", both, err)
	}
	var dones []func()
	for range runtime.GOMAXPROCS(0) {
		dones = append(dones, s.Serving())
	}
	if s.SpreadReads() {
		t.Fatalf("%d requests in flight on %d cores: reads should not spread", len(dones)+1, runtime.GOMAXPROCS(0))
	}
	if both, err := overlap(); both || err != nil {
		t.Fatalf("busy: reads overlapped %v (want false), %v", both, err)
	}
	failing := errors.New("read failed")
	ran := 0
	if err := s.concurrently(func() error { ran++; return nil }, func() error { ran++; return failing }); !errors.Is(err, failing) || ran != 2 {
		t.Fatalf("busy: %d reads ran, error %v; want 2 and the failure", ran, err)
	}
	for _, d := range dones {
		d()
	}
	done()
	if !s.SpreadReads() {
		t.Fatal("after the requests ended: reads should spread again")
	}
}
