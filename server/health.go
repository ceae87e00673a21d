package server

import (
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/licensing-api/licensing-api/models"
)

// Health is a server's readiness switch: Drain turns /readyz to 503 before shutdown, so that
// load balancers stop sending requests while the ones in flight finish.
type Health struct{ draining atomic.Bool }

// Drain makes /readyz answer 503 from now on.
func (h *Health) Drain() { h.draining.Store(true) }

// Draining tells whether Drain was called.
func (h *Health) Draining() bool { return h.draining.Load() }

// readyz answers 200 only when this server can serve: not draining, the database answering,
// and on Galera its node in the primary component and synced (models.Store.Ready).
func readyz(store *models.Store, health *Health, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if health.Draining() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
			return
		}
		err := store.Ready(r.Context())
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		case errors.Is(err, models.ErrNotReady):
			log.WarnContext(r.Context(), "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database node not ready", "reason": err.Error()})
		default:
			log.WarnContext(r.Context(), "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		}
	}
}
