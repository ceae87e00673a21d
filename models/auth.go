package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licensing-api/licensing-api/licensing"
	"gorm.io/gorm"
)

// Role is what an API key may do.
type Role string

const (
	RoleOperator Role = "OPERATOR" // platform staff: every reseller, resellers and keys, support actions
	RoleReseller Role = "RESELLER" // reads and writes its own reseller's data
	RoleReader   Role = "READER"   // reads its own reseller's data (BI tools)
)

func (r Role) Valid() bool { return r == RoleOperator || r == RoleReseller || r == RoleReader }

// Caller is the authenticated holder of an API key. Every store call takes one: it is the
// tenant scope of the query.
type Caller struct {
	KeyID      int64
	Role       Role
	ResellerID int64 // zero for operators
	Limits     KeyLimits
}

// KeyLimits is a key's fair share of the API: its cost bucket and its cap on requests in flight.
// A zero field means the server's default for it.
type KeyLimits struct {
	BucketSize  int `gorm:"column:cost_bucket_size"`
	RestoreRate int `gorm:"column:cost_restore_rate"`
	MaxInFlight int `gorm:"column:max_in_flight"`
}

// Or fills the zero fields of l from defaults.
func (l KeyLimits) Or(defaults KeyLimits) KeyLimits {
	if l.BucketSize == 0 {
		l.BucketSize = defaults.BucketSize
	}
	if l.RestoreRate == 0 {
		l.RestoreRate = defaults.RestoreRate
	}
	if l.MaxInFlight == 0 {
		l.MaxInFlight = defaults.MaxInFlight
	}
	return l
}

// AllResellers tells whether the caller sees every reseller (operators).
func (c Caller) AllResellers() bool { return c.Role == RoleOperator }

// CanWrite tells whether the caller may change data.
func (c Caller) CanWrite() bool { return c.Role == RoleOperator || c.Role == RoleReseller }

// scope restricts a query to the caller's reseller. It is applied by every tenant query in
// this package, so another reseller's rows are never loaded, not filtered out afterwards.
func (c Caller) scope(db *gorm.DB) *gorm.DB {
	if c.AllResellers() {
		return db
	}
	return db.Where("reseller_id = ?", c.ResellerID)
}

// APIKey is a stored key: only the SHA-256 of its secret is kept.
type APIKey struct {
	ID         int64
	ResellerID *int64
	Role       Role
	Name       string
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
	Limits     KeyLimits `gorm:"embedded"`
}

func (APIKey) TableName() string { return "api_keys" }

// Keys look like lk_<id>_<secret>: the id finds the row, the 256-bit secret is compared by hash.
// A fast hash is right for a random 256-bit secret (no dictionary to guess from).
const keyPrefix = "lk_"

func newSecret() (string, string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	secret := hex.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(sum[:])
}

// ErrUnauthenticated means the key is missing, malformed, unknown or revoked; the caller is
// not told which.
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrOperatorKeyExists: CreateFirstOperatorKey makes the first operator key only; later keys come
// from the createApiKey mutation.
var ErrOperatorKeyExists = errors.New("an operator key already exists; create more keys through the createApiKey mutation")

// Authenticate finds the live key for a bearer token.
func (s *Store) Authenticate(ctx context.Context, token string) (Caller, error) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	if !ok {
		return Caller{}, ErrUnauthenticated
	}
	idPart, secret, ok := strings.Cut(rest, "_")
	if !ok {
		return Caller{}, ErrUnauthenticated
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil {
		return Caller{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(secret))
	if c, ok := s.keys.get(id, sum); ok {
		return c, nil
	}
	var k APIKey
	err = s.ctx(ctx).Where("id = ? AND revoked_at IS NULL", id).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Caller{}, ErrUnauthenticated
	}
	if err != nil {
		return Caller{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(k.SecretHash)) != 1 {
		return Caller{}, ErrUnauthenticated
	}
	c := Caller{KeyID: k.ID, Role: k.Role, Limits: k.Limits}
	if k.ResellerID != nil {
		c.ResellerID = *k.ResellerID
	}
	s.keys.put(id, sum, c)
	return c, nil
}

// NewKey is a created key with its secret, shown once.
type NewKey struct {
	APIKey
	Token string
}

// CreateAPIKey stores a key for a reseller (or an operator key when resellerID is nil). Only
// operators call it; the resolver checks that.
func (s *Store) CreateAPIKey(ctx context.Context, c Caller, resellerID *int64, role Role, name string, now time.Time) (*NewKey, error) {
	var key *NewKey
	err := s.InTx(ctx, func(tx *Store) error {
		var ps licensing.Problems
		if strings.TrimSpace(name) == "" {
			ps.Add(licensing.CodeRequired, "name must not be empty", "name")
		}
		switch {
		case role == RoleOperator && resellerID != nil:
			ps.Add(licensing.CodeInvalid, "operator keys act for every reseller; omit resellerId", "reseller")
		case role != RoleOperator && resellerID == nil:
			ps.Add(licensing.CodeRequired, "RESELLER and READER keys belong to a reseller", "reseller")
		case resellerID != nil:
			// A plain read: resellers are never deleted.
			if _, err := tx.Reseller(ctx, c, *resellerID); errors.Is(err, ErrNotFound) {
				ps.Add(licensing.CodeNotFound, "no such reseller", "reseller")
			} else if err != nil {
				return err
			}
		}
		if err := ps.Err(); err != nil {
			return err
		}
		secret, hash := newSecret()
		k := APIKey{ID: newID(), ResellerID: resellerID, Role: role, Name: name, SecretHash: hash, CreatedAt: now}
		key = &NewKey{APIKey: k, Token: fmt.Sprintf("%s%d_%s", keyPrefix, k.ID, secret)}
		return tx.ctx(ctx).Create(&k).Error
	})
	return orNil(key, wrap("create API key", err))
}

// CreateFirstOperatorKey makes an operator key when no operator key exists yet (bootstrap).
// It is one transaction; the count is a plain read, so two bootstraps run at the very same
// moment could both make a key (the command is run by hand, once per database).
func (s *Store) CreateFirstOperatorKey(ctx context.Context, name string) (*NewKey, error) {
	var key *NewKey
	err := s.InTx(ctx, func(tx *Store) error {
		var n int64
		if err := tx.ctx(ctx).Model(&APIKey{}).Where("role = ? AND revoked_at IS NULL", RoleOperator).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrOperatorKeyExists
		}
		var err error
		// A command-line bootstrap with no request: its instant is the wall clock's.
		key, err = tx.CreateAPIKey(ctx, Caller{Role: RoleOperator}, nil, RoleOperator, name, time.Now().UTC())
		return err
	})
	return orNil(key, wrap("create first operator key", err))
}

// APIKeys lists the keys the caller may see (operators: all; others: their reseller's).
func (s *Store) APIKeys(ctx context.Context, c Caller, p Page) (*List[APIKey], error) {
	return list[APIKey](s, c.scope(s.ctx(ctx).Model(&APIKey{})), p)
}

// RevokeAPIKey revokes a key; revoking twice keeps the first time.
func (s *Store) RevokeAPIKey(ctx context.Context, c Caller, id int64, now time.Time) (*APIKey, error) {
	k, err := updateLocked(ctx, s, "revoke API key", c, id, "API key", "apiKey", func(tx *Store, k *APIKey) error {
		if k.RevokedAt == nil {
			k.RevokedAt = &now
			return tx.ctx(ctx).Model(k).Update("revoked_at", now).Error
		}
		return nil
	})
	if err == nil {
		s.keys.forget(id) // at once on this replica; within the cache's TTL on the others
	}
	return k, err
}

// SetAPIKeyLimits sets a key's fair share; zero fields go back to the server's default. A bucket
// smaller than minBucket (the most one request may cost) would refuse the key's largest requests
// for ever, so it is refused.
func (s *Store) SetAPIKeyLimits(ctx context.Context, c Caller, id int64, l KeyLimits, minBucket int) (*APIKey, error) {
	if l.BucketSize != 0 && l.BucketSize < minBucket {
		return nil, refuse(licensing.CodeInvalid, fmt.Sprintf("bucketSize must be at least %d, the most one request may cost", minBucket), "bucketSize")
	}
	k, err := updateLocked(ctx, s, "set API key limits", c, id, "API key", "apiKey", func(tx *Store, k *APIKey) error {
		k.Limits = l
		return tx.ctx(ctx).Model(k).Select("cost_bucket_size", "cost_restore_rate", "max_in_flight").Updates(map[string]any{
			"cost_bucket_size": l.BucketSize, "cost_restore_rate": l.RestoreRate, "max_in_flight": l.MaxInFlight}).Error
	})
	if err == nil {
		s.keys.forget(id)
	}
	return k, err
}
