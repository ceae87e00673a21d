package models

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// Ids are made here, not by AUTO_INCREMENT, so the same SQL runs on MySQL, SQLite, TiDB and
// Vitess: 41 bits of milliseconds since 2025 and 22 random bits. They grow with time (keyset
// pagination by id is creation order) and stay increasing within a process.
var (
	idMu   sync.Mutex
	lastID int64
	idBase = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
)

func newID() int64 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := (time.Now().UnixMilli()-idBase)<<22 | int64(binary.BigEndian.Uint32(b[:])&(1<<22-1))
	idMu.Lock()
	defer idMu.Unlock()
	if id <= lastID {
		id = lastID + 1
	}
	lastID = id
	return id
}
