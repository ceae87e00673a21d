// Package licensingapi holds the go:generate directive that regenerates graph/ from schema.graphqls and gqlgen.yml.
package licensingapi

//go:generate go run ./tools/graphgen
