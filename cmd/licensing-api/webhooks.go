package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/licensing-api/licensing-api/models"
	"github.com/licensing-api/licensing-api/periodic"
	"github.com/licensing-api/licensing-api/server"
	"github.com/licensing-api/licensing-api/webhooks"
)

// webhookConfig is how events go out (issue 13): the delivery worker's interval and its HTTP.
type webhookConfig struct {
	interval  time.Duration
	client    webhooks.Options
	retention time.Duration // EVENT_RETENTION; 0 keeps events for ever
}

// webhookFlags declares the webhook settings (the README's "Webhooks" section lists them); the
// returned function reads them once the flags are parsed.
func webhookFlags(fs *flag.FlagSet, getenv func(string) string) func() (webhookConfig, error) {
	interval := fs.Duration("webhook-interval", envDuration(getenv, "WEBHOOK_INTERVAL", 5*time.Second),
		"how often new events are sequenced and due webhook deliveries sent (WEBHOOK_INTERVAL)")
	timeout := fs.Duration("webhook-timeout", envDuration(getenv, "WEBHOOK_TIMEOUT", webhooks.DefaultTimeout),
		"the longest one webhook delivery attempt may take, answer included (WEBHOOK_TIMEOUT)")
	private := fs.String("webhook-allow-private-networks", envOr(getenv, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", "false"),
		"let webhook deliveries reach loopback, private and link-local addresses; for development and tests only (WEBHOOK_ALLOW_PRIVATE_NETWORKS)")
	retention := fs.Duration("event-retention", envDuration(getenv, "EVENT_RETENTION", models.DefaultEventRetention),
		"how long events, their webhook deliveries and attempts are kept; 0 keeps them for ever (EVENT_RETENTION)")
	return func() (webhookConfig, error) {
		allow, err := strconv.ParseBool(*private)
		if err != nil {
			return webhookConfig{}, fmt.Errorf("webhook allow private networks %q: use true or false", *private)
		}
		if *interval <= 0 || *timeout <= 0 {
			return webhookConfig{}, fmt.Errorf("webhook interval and timeout must be positive durations such as 5s")
		}
		if *timeout >= webhooks.DefaultLease {
			return webhookConfig{}, fmt.Errorf("webhook timeout %s: use less than %s, the lease of a delivery attempt", *timeout, webhooks.DefaultLease)
		}
		if *retention != 0 && *retention < models.MinEventRetention {
			return webhookConfig{}, fmt.Errorf("event retention %s: use 0 (keep for ever) or at least %s", *retention, models.MinEventRetention)
		}
		return webhookConfig{interval: *interval, client: webhooks.Options{Timeout: *timeout, AllowPrivateNetworks: allow}, retention: *retention}, nil
	}
}

// startWebhooks runs, until ctx ends, the delivery worker every cfg.interval, the scheduler of
// time-driven events every scheduleInterval and the pruning of events past their retention
// every hour. Every replica runs all three.
func startWebhooks(ctx context.Context, cfg webhookConfig, store *models.Store, scheduleInterval time.Duration, log *slog.Logger, metrics *server.Metrics) {
	if cfg.client.AllowPrivateNetworks {
		log.Warn("webhook deliveries may reach private networks (WEBHOOK_ALLOW_PRIVATE_NETWORKS)")
	}
	worker := &webhooks.Worker{Store: store, Client: webhooks.NewClient(cfg.client), Now: time.Now, Log: log, Counted: metrics.WebhookEvent}
	scheduler := &webhooks.Scheduler{Store: store, Now: time.Now, Log: log,
		Ran: func(n int, err error) { metrics.TaskRun("event_schedule", n, err) }}
	go worker.Run(ctx, cfg.interval)
	go scheduler.Run(ctx, scheduleInterval)
	if cfg.retention > 0 {
		go periodic.Every(ctx, time.Hour, func(ctx context.Context) { pruneEvents(ctx, store, cfg.retention, log, metrics) })
	}
}

// pruneEvents deletes the events recorded more than retention ago, a thousand per transaction.
func pruneEvents(ctx context.Context, store *models.Store, retention time.Duration, log *slog.Logger, metrics *server.Metrics) {
	total := 0
	for ctx.Err() == nil {
		n, err := store.PruneEvents(ctx, time.Now().Add(-retention), 1000)
		total += n
		if err != nil || n < 1000 {
			if ctx.Err() == nil {
				metrics.TaskRun("event_prune", total, err)
			}
			if err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "pruning events past their retention", "err", err)
			} else if total > 0 {
				log.InfoContext(ctx, "pruned events past their retention", "count", total, "retention", retention.String())
			}
			return
		}
	}
}
