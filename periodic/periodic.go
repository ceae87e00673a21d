// Package periodic holds what the server's background workers (activation mail, webhook
// delivery, the event scheduler, the deprovisioning sweep) share: a task run on a ticker, and the
// delay before a failed attempt is tried again.
package periodic

import (
	"context"
	"math/rand/v2"
	"time"
)

// Every calls run at once and then every interval until ctx ends. A run that outlasts the
// interval is not overlapped: the next one starts after it.
func Every(ctx context.Context, interval time.Duration, run func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		run(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Backoff is the delay after the attempt-th failed attempt: base doubled per attempt, capped at
// limit, with "equal jitter" (half fixed, half random) so that retries of many failures spread
// out and the delay is never zero. jitter returns a number in [0, 1); nil means math/rand.
func Backoff(attempt int, base, limit time.Duration, jitter func() float64) time.Duration {
	delay := base
	for i := 1; i < attempt && delay < limit; i++ {
		delay *= 2
	}
	delay = min(delay, limit)
	if jitter == nil {
		jitter = rand.Float64
	}
	return delay/2 + time.Duration(jitter()*float64(delay/2))
}
