package periodic

import (
	"context"
	"testing"
	"time"
)

func TestBackoffDoublesUpToTheLimitAndIsNeverZero(t *testing.T) {
	base, limit := time.Second, 10*time.Second
	cases := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 500 * time.Millisecond},
		{1, 0.999999, base - time.Microsecond/2},
		{2, 0, time.Second},
		{3, 0.5, 3 * time.Second},
		{4, 0, 4 * time.Second},
		{5, 0, 5 * time.Second}, // 16s capped at 10s
		{50, 0, 5 * time.Second},
	}
	for _, c := range cases {
		got := Backoff(c.attempt, base, limit, func() float64 { return c.jitter })
		if got.Round(time.Millisecond) != c.want.Round(time.Millisecond) {
			t.Errorf("Backoff(%d) with jitter %v = %v, want %v", c.attempt, c.jitter, got, c.want)
		}
	}
	for range 100 {
		if d := Backoff(3, base, limit, nil); d < 2*time.Second || d >= 4*time.Second {
			t.Fatalf("Backoff(3) with random jitter = %v, want in [2s, 4s)", d)
		}
	}
}

func TestEveryRunsAtOnceAndStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	done := make(chan struct{})
	go func() {
		Every(ctx, time.Millisecond, func(context.Context) {
			runs++
			if runs == 3 {
				cancel()
			}
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Every did not return after its context ended")
	}
	if runs != 3 {
		t.Fatalf("runs = %d, want 3", runs)
	}
}
