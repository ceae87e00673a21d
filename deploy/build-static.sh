#!/bin/sh
# Builds the static licensing-api binary that the Dockerfile ships and .ci/run checks: no cgo
# (the embedded SQLite is pure Go), no paths of the build machine, no symbol tables.
# usage: deploy/build-static.sh OUTPUT
set -eu
out=${1:?usage: deploy/build-static.sh OUTPUT}
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$out" ./cmd/licensing-api
