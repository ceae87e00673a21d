#!/usr/bin/env bash
# Builds licensing-api, serves it on a free 127.0.0.1 port over a fresh SQLite database with an
# operator key, and runs the graphql-http audit (audit.mjs, versions pinned in package-lock.json)
# against it, authenticated with that key. Exits as the audit does: 0 only when every MUST and
# SHOULD passes. Needs go and node (>= 18, for fetch); npm ci fetches the two npm packages.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/workdir.sh
source "$root/scripts/workdir.sh"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$root" && go build -o "$work/licensing-api" ./cmd/licensing-api)

export DATABASE_URL="$work/audit.db" LOG_LEVEL=warn
key=$("$work/licensing-api" create-operator-key | tail -n 1) # kept out of the output
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
"$work/licensing-api" serve -addr "127.0.0.1:$port" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do # up to 10 s for the server to listen
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "licensing-api did not start:" >&2; cat "$work/server.log" >&2; exit 2
  fi
  sleep 0.1
done

echo "graphql-http audit of licensing-api at http://127.0.0.1:$port/graphql"
LICENSING_API_KEY="$key" node "$here/audit.mjs" "http://127.0.0.1:$port/graphql"
