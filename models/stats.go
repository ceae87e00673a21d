package models

import (
	"database/sql"
	"sync/atomic"
)

// retryReason is why InTx ran a transaction again (see retryCause); the names are the values of
// the cause label of the retry metrics.
type retryReason int

const (
	causeNone retryReason = iota
	causeDeadlock
	causeLockWait
	causeNodeNotReady
	causeCommitFailed
	causeBusy
	causeConflict
	numCauses
)

var causeNames = [numCauses]string{"", "deadlock", "lock_wait_timeout", "node_not_ready", "commit_failed", "sqlite_busy", "conflict"}

// storeStats counts InTx's retries; one per Store, shared by the copies InTx makes.
type storeStats struct {
	retries   [numCauses]atomic.Int64 // transactions run again
	exhausted [numCauses]atomic.Int64 // transactions given up after txAttempts runs
	serving   atomic.Int64            // requests in flight (Serving)
}

// RetryCount is how often transactions were run again for one cause, and how often they
// were given up after the last attempt (then answered as unavailable).
type RetryCount struct {
	Cause           string
	Retried, GaveUp int64
}

// Stats is a snapshot of the store's pools and retries, for metrics.
type Stats struct {
	// Pools are sql.DBStats by pool: "primary", and "read" with DATABASE_READ_URL.
	Pools   map[string]sql.DBStats
	Retries []RetryCount // one per cause, every cause listed
}

// Stats reads the counters now.
func (s *Store) Stats() Stats {
	out := Stats{Pools: map[string]sql.DBStats{}}
	if db, err := s.db.DB(); err == nil {
		out.Pools["primary"] = db.Stats()
	}
	if s.readPool != nil {
		out.Pools["read"] = s.readPool.Stats()
	}
	for c := causeNone + 1; c < numCauses; c++ {
		out.Retries = append(out.Retries, RetryCount{Cause: causeNames[c], Retried: s.stats.retries[c].Load(), GaveUp: s.stats.exhausted[c].Load()})
	}
	return out
}
