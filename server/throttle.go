package server

import (
	"math"
	"sync"
	"time"

	"github.com/licensing-api/licensing-api/models"
)

// throttle keeps each key's fair share on this replica: a bucket of cost points that refills at a
// steady rate, and a count of its requests in flight. It is in memory, per replica: with N
// replicas behind a balancer a key gets up to N times its share (the README says so).
type throttle struct {
	mu   sync.Mutex
	keys map[int64]*keyShare
	now  func() time.Time
}

type keyShare struct {
	points   float64
	at       time.Time
	inFlight int
}

// throttleStatus is the bucket as a response reports it (extensions.cost.throttleStatus).
type throttleStatus struct {
	MaximumAvailable   int `json:"maximumAvailable"`
	CurrentlyAvailable int `json:"currentlyAvailable"`
	RestoreRate        int `json:"restoreRate"`
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{keys: map[int64]*keyShare{}, now: now}
}

// share returns the key's state with its bucket refilled up to now. The caller holds t.mu.
func (t *throttle) share(key int64, l models.KeyLimits) *keyShare {
	now := t.now()
	s := t.keys[key]
	if s == nil {
		s = &keyShare{points: float64(l.BucketSize), at: now}
		t.keys[key] = s
	}
	if elapsed := now.Sub(s.at).Seconds(); elapsed > 0 {
		s.points = math.Min(float64(l.BucketSize), s.points+elapsed*float64(l.RestoreRate))
		s.at = now
	}
	s.points = math.Min(s.points, float64(l.BucketSize)) // the operator may have shrunk the bucket
	return s
}

// enter counts one more request of the key in flight; false when it is at its cap.
func (t *throttle) enter(key int64, l models.KeyLimits) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.share(key, l)
	if s.inFlight >= l.MaxInFlight {
		return false
	}
	s.inFlight++
	return true
}

func (t *throttle) leave(key int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.keys[key]; s != nil && s.inFlight > 0 {
		s.inFlight--
	}
}

// take spends cost points. When the bucket holds fewer, nothing is spent and wait says how long
// until it will hold enough.
func (t *throttle) take(key int64, l models.KeyLimits, cost int) (st throttleStatus, wait time.Duration, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.share(key, l)
	if float64(cost) > s.points {
		missing := float64(cost) - s.points
		return status(s, l), time.Duration(missing / float64(l.RestoreRate) * float64(time.Second)), false
	}
	s.points -= float64(cost)
	return status(s, l), 0, true
}

// refund gives back points taken but not used (the requested cost was more than the actual).
func (t *throttle) refund(key int64, l models.KeyLimits, points int) throttleStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.share(key, l)
	if points > 0 {
		s.points = math.Min(float64(l.BucketSize), s.points+float64(points))
	}
	return status(s, l)
}

func status(s *keyShare, l models.KeyLimits) throttleStatus {
	return throttleStatus{MaximumAvailable: l.BucketSize, CurrentlyAvailable: int(s.points), RestoreRate: l.RestoreRate}
}
