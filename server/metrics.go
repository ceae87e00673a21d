package server

import (
	"net/http"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus metrics served at /metrics; the README's "Metrics" section lists
// every name. Label values come from fixed sets (the schema's root fields, the outcomes below),
// never from what a client sends, so the number of series is bounded.
type Metrics struct {
	reg             *prometheus.Registry
	requests        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
	cost            *prometheus.CounterVec
	emails          *prometheus.CounterVec
	tasks           *prometheus.CounterVec
	taskItems       *prometheus.CounterVec
	webhooks        *prometheus.CounterVec
	webhookDuration prometheus.Histogram
}

// Outcomes of a GraphQL request (the outcome label).
const (
	outcomeOK              = "ok"              // ran, no errors
	outcomeError           = "error"           // ran, with errors in the response
	outcomeRefused         = "refused"         // refused before running: limits, parse, validation, role
	outcomeUnauthenticated = "unauthenticated" // no or unknown key
	outcomeThrottled       = "throttled"       // 429
	outcomeUnavailable     = "unavailable"     // 503: the database could not serve
	outcomeInternal        = "internal"        // 500
)

// NewMetrics registers the metrics of a server over store, with Go runtime and process metrics.
func NewMetrics(store *models.Store) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_graphql_requests_total",
		Help: "GraphQL requests by operation (first root field), operation type and outcome."}, []string{"operation", "type", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "licensing_graphql_request_duration_seconds",
		Help:    "Time from the request's arrival to its response, by operation and operation type.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"operation", "type"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_graphql_cost_points_total",
		Help: "Cost points of executed requests: requested (priced before running) and actual (charged after), by operation."}, []string{"operation", "kind"})
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_activation_emails_total",
		Help: "Activation emails: due (claimed to send), sent (accepted by the mail server), failed (to retry later), bounced (refused for good)."}, []string{"event"})
	m.tasks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_background_runs_total",
		Help: "Runs of background tasks by task and outcome (ok, error)."}, []string{"task", "outcome"})
	m.taskItems = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_background_items_total",
		Help: "Items background tasks handled: subscriptions deprovisioned, emails sent."}, []string{"task"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "licensing_webhook_events_total",
		Help: "Events and webhook deliveries: events sequenced for delivery (sequenced), attempts delivered, to retry (retry) and given up (gave_up)."}, []string{"outcome"})
	m.webhookDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "licensing_webhook_attempt_duration_seconds",
		Help: "Time of one webhook delivery attempt, answer included.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	m.reg.MustRegister(m.requests, m.latency, m.cost, m.emails, m.tasks, m.taskItems, m.webhooks, m.webhookDuration, newStoreCollector(store),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ActivationEmail counts one event of the activation email dispatcher: "due", "sent",
// "failed" or "bounced" (mail.Dispatcher.Counted).
func (m *Metrics) ActivationEmail(event string) {
	if m != nil {
		m.emails.WithLabelValues(event).Inc()
	}
}

// TaskRun counts one run of a background task and the items it handled.
func (m *Metrics) TaskRun(task string, items int, err error) {
	if m == nil {
		return
	}
	outcome := outcomeOK
	if err != nil {
		outcome = outcomeError
	}
	m.tasks.WithLabelValues(task, outcome).Inc()
	m.taskItems.WithLabelValues(task).Add(float64(items))
}

// observeGraphQL records one /graphql request from what the request went through.
func (m *Metrics) observeGraphQL(info *requestInfo, status int, took time.Duration) {
	if m == nil {
		return
	}
	op, typ := info.rootField, info.opType
	if op == "" {
		op, typ = "unknown", "unknown"
	}
	m.requests.WithLabelValues(op, typ, outcomeOf(info, status)).Inc()
	m.latency.WithLabelValues(op, typ).Observe(took.Seconds())
	if info.executed {
		m.cost.WithLabelValues(op, "requested").Add(float64(info.costRequested))
		m.cost.WithLabelValues(op, "actual").Add(float64(info.costActual))
	}
}

func outcomeOf(info *requestInfo, status int) string {
	switch {
	case status == http.StatusServiceUnavailable:
		return outcomeUnavailable
	case status == http.StatusUnauthorized:
		return outcomeUnauthenticated
	case status == http.StatusTooManyRequests:
		return outcomeThrottled
	case status >= 500:
		return outcomeInternal
	case !info.executed:
		return outcomeRefused
	case info.hasErrors:
		return outcomeError
	}
	return outcomeOK
}

// storeCollector reads the store's pools and retry counters at each scrape.
type storeCollector struct {
	store                                 *models.Store
	inUse, idle, maxOpen, waits, waitTime *prometheus.Desc
	retries, gaveUp                       *prometheus.Desc
}

func newStoreCollector(store *models.Store) *storeCollector {
	pool := []string{"pool"}
	return &storeCollector{store: store,
		inUse:    prometheus.NewDesc("licensing_db_connections_in_use", "Connections running a statement, by pool (primary, read).", pool, nil),
		idle:     prometheus.NewDesc("licensing_db_connections_idle", "Idle connections, by pool.", pool, nil),
		maxOpen:  prometheus.NewDesc("licensing_db_connections_max", "The most connections a pool opens.", pool, nil),
		waits:    prometheus.NewDesc("licensing_db_connection_waits_total", "Times a statement waited for a free connection, by pool.", pool, nil),
		waitTime: prometheus.NewDesc("licensing_db_connection_wait_seconds_total", "Time statements waited for a free connection, by pool.", pool, nil),
		retries: prometheus.NewDesc("licensing_db_transaction_retries_total",
			"Transactions run again, by cause (deadlock, lock_wait_timeout, node_not_ready, commit_failed, sqlite_busy, conflict).", []string{"cause"}, nil),
		gaveUp: prometheus.NewDesc("licensing_db_transaction_retries_exhausted_total",
			"Transactions given up after the last attempt (answered 503), by cause.", []string{"cause"}, nil),
	}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.inUse, c.idle, c.maxOpen, c.waits, c.waitTime, c.retries, c.gaveUp} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.Stats()
	for pool, s := range st.Pools {
		ch <- prometheus.MustNewConstMetric(c.inUse, prometheus.GaugeValue, float64(s.InUse), pool)
		ch <- prometheus.MustNewConstMetric(c.idle, prometheus.GaugeValue, float64(s.Idle), pool)
		ch <- prometheus.MustNewConstMetric(c.maxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections), pool)
		ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount), pool)
		ch <- prometheus.MustNewConstMetric(c.waitTime, prometheus.CounterValue, s.WaitDuration.Seconds(), pool)
	}
	for _, r := range st.Retries {
		ch <- prometheus.MustNewConstMetric(c.retries, prometheus.CounterValue, float64(r.Retried), r.Cause)
		ch <- prometheus.MustNewConstMetric(c.gaveUp, prometheus.CounterValue, float64(r.GaveUp), r.Cause)
	}
}

// WebhookEvent counts an event sequenced or a delivery attempt of the webhook worker
// (webhooks.Worker.Counted); an attempt also records its duration.
func (m *Metrics) WebhookEvent(outcome string, took time.Duration) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(outcome).Inc()
	if outcome != "sequenced" {
		m.webhookDuration.Observe(took.Seconds())
	}
}
