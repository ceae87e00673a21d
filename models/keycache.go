package models

import (
	"crypto/subtle"
	"sync"
	"time"
)

// DefaultKeyCacheTTL is how long a replica trusts an API key it has checked, so that a request
// costs no database round trip for its key. It bounds how long a key revoked (or given new limits)
// through another replica still works here; the replica that revokes it forgets it at once.
const DefaultKeyCacheTTL = 5 * time.Second

// keyCache holds keys checked recently: by key id, the SHA-256 of the secret that matched and the
// caller it gave. Only keys that authenticated are kept, so it holds at most the live keys.
type keyCache struct {
	mu      sync.RWMutex
	ttl     time.Duration
	now     func() time.Time // the cache's own clock: expiry is infrastructure, not a rule
	entries map[int64]cachedKey
}

type cachedKey struct {
	secretHash [32]byte
	caller     Caller
	until      time.Time
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, now: time.Now, entries: map[int64]cachedKey{}}
}

// get returns the caller of a key checked within the TTL with the same secret.
func (c *keyCache) get(id int64, secretHash [32]byte) (Caller, bool) {
	if c == nil || c.ttl <= 0 {
		return Caller{}, false
	}
	c.mu.RLock()
	e, ok := c.entries[id]
	c.mu.RUnlock()
	if !ok || c.now().After(e.until) || subtle.ConstantTimeCompare(e.secretHash[:], secretHash[:]) != 1 {
		return Caller{}, false
	}
	return e.caller, true
}

func (c *keyCache) put(id int64, secretHash [32]byte, caller Caller) {
	if c == nil || c.ttl <= 0 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= 10000 { // many keys: drop the expired ones first
		for k, e := range c.entries {
			if now.After(e.until) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[id] = cachedKey{secretHash: secretHash, caller: caller, until: now.Add(c.ttl)}
}

// forget drops a key at once (revoked or given new limits through this replica).
func (c *keyCache) forget(id int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}
