// Package licensing holds the licensing rules of ../shared/LICENSING_RULES.md as plain Go.
//
// Inputs are facts (plain structs loaded by the models package) and an instant asOf;
// outputs are decisions with reason codes. Nothing here reads the wall clock, touches a
// database, or knows about HTTP or GraphQL, so every rule is table-tested alone and a
// newcomer looks here for "why".
package licensing
