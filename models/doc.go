// Package models owns the store: GORM structs, tenant-scoped queries, transactions and
// migrations. Nothing outside this package sees a *gorm.DB.
//
// What belongs here: loading the facts a rule needs, asking the licensing package for the
// decision, and persisting it. Every write is one transaction (Store.InTx) that does its own
// reads, locking (FOR UPDATE, by lockByID or SQL) what the decision depends on, and takes the
// request's instant as now; no deciding happens here. Where SQL must decide for speed (the
// license summary, the conflict list, the deprovisioning sweep, the reservation filters), a
// comment names the licensing function it mirrors and a test compares the two on random data.
// Errors are wrapped with the operation's name (wrap); refusals are licensing.Problems.
//
// One file per concept, like licensing/:
//
//	agreements.go               resellers, customers, agreements and contacts, enrollments (R-AGR)
//	accounts.go                 accounts, their domains, administrators and users
//	catalog.go                  the SKU catalog (catalog/skus.json)
//	orders.go                   placing, processing, cancelling orders (R-ORD)
//	reservations.go             reservations and the MANAGE_RESERVATIONS permission (R-RES)
//	subscriptions.go            quantities and their change log, views as of an instant, new totals,
//	                            auto-renewal, renewing, cancelling, direct purchases (R-SUB)
//	renewal.go                  renewing an enrollment into a new one (R-SUB-2 to R-SUB-4, R-ACT-10)
//	deprovision.go              the sweep that deprovisions when grace ends (R-SUB-3)
//	assignments.go              assigning and removing licenses, deleting users (R-LIC-1, R-LIC-5, R-LIC-6)
//	conflicts.go                an account's holdings and the accounts in conflict (R-LIC-2 to R-LIC-4, R-LIC-7)
//	summary.go                  the license summary as one SQL aggregation (R-BI-1, R-BI-2)
//	status_sql.go               SQL shared by conflicts and summary (statusSQL mirrors SubscriptionTerm.StatusAt)
//	activation_emails.go        emails recorded, resent, claimed by the dispatcher (R-ACT-1, R-ACT-4 to R-ACT-7)
//	activation_links.go         activating through a token, re-enabling links (R-ACT-8, R-ACT-9)
//	activation_provisioning.go  onto an account automatically, by support or product key (R-ACT-2, R-ENR-4, R-ACT-13)
//	activation_status.go        the facts activationStatus explains (R-ACT-12)
//	auth.go                     API keys and callers; node.go, list.go, problems.go: lookups, pages, refusals
//	seed.go, demo.go            large seeded data for benchmarks; the demo world
//	store.go, migrate*.go, charset.go, ids.go  opening the store, transactions, migrations, ids
package models
