// Package licensing holds the licensing rules of ../shared/LICENSING_RULES.md as plain Go.
//
// What belongs here: the domain's words (programs, statuses, codes, reasons), drafts to
// validate, facts (plain structs the models package loads) and decisions. A rule takes facts
// and an instant and returns a decision with reason codes, or Problems: a refusal with a code
// and the input it concerns in the domain's words ("users", "total", "enrollment"), never a
// GraphQL field name. Nothing here reads the wall clock, touches a database, or knows about
// HTTP or GraphQL, so every rule is table-tested alone and a newcomer looks here for "why".
//
// One file per domain concept, each opening with the rules it decides:
//
//	agreements.go               R-AGR    resellers, customers, agreements, contacts, enrollments, volume discount
//	accounts.go                          accounts (tenants), their domains, administrators and users
//	catalog.go                           what a SKU is: family, kind, unit
//	orders.go                   R-ORD    placing, idempotency, processing, cancelling, pending period
//	reservations.go             R-RES    who may reserve, billing, overdue
//	subscriptions.go            R-SUB    status as of an instant, licensed quantity, renewal, grace, cancelling, new totals
//	assignments.go              R-LIC-1, R-LIC-5, R-LIC-6  assigning, removing, lowering
//	conflicts.go                R-LIC-2, R-LIC-3, R-LIC-4, R-LIC-7  who is not covered, and the ways out
//	summary.go                  R-BI-1   rows of one SKU pool that add up to any grouping
//	activation.go                        the words activation's files share
//	activation_emails.go        R-ACT-1, R-ACT-3 to R-ACT-7, R-ACT-11  whether, to whom and when an email goes
//	activation_links.go         R-ACT-8, R-ACT-9, R-ENR-3  the link and activating through it
//	activation_provisioning.go  R-ACT-2, R-ACT-10, R-ACT-13, R-ENR-1, R-ENR-2, R-ENR-4, R-ENR-5  onto an account without the link
//	activation_status.go        R-ACT-12 one state and every reason that applies
//	problems.go, inputs.go, date.go      refusals, checks shared by drafts, calendar days
//
// Each rule is decided by one exported function whose doc comment starts with its rule ID
// ("// R-SUB-3: DeprovisionedUsers ..."; a function deciding two rules names both), so grep for an
// ID leads to its deciding function and, by the same ID in subtest names, to its tests
// (rules_test.go checks both). R-BI-2 (a fast summary) is decided by the SQL of
// models/summary.go, which says which functions here it mirrors.
package licensing
