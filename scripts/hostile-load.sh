#!/usr/bin/env bash
# Hostile and heavy traffic against a real server (issue 8): builds licensing-api, seeds a
# database (MariaDB by default; DATABASE_URL to choose), starts the server with its default
# limits, and runs cmd/hostile-load against it: every attack family flat out, a BI key running
# summaries at its limit, and a well-behaved client whose small queries are timed. Prints the
# figures the README's "Limits" section reports, and the server's peak resident memory.
#
#   scripts/hostile-load.sh [duration]          # default 60s
#   ASSIGNMENTS=1000000 SUBSCRIPTIONS=100000 scripts/hostile-load.sh 60s
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-60s}
# shellcheck source=scripts/workdir.sh
source "$root/scripts/workdir.sh"

if [ -z "${DATABASE_URL:-}" ]; then
  mysql --protocol=tcp -h127.0.0.1 -uroot -e 'DROP DATABASE IF EXISTS hostile_load; CREATE DATABASE hostile_load'
  export DATABASE_URL=mysql://root@127.0.0.1:3306/hostile_load
fi
export LOG_LEVEL=warn
(cd "$root" && go build -o "$work/licensing-api" ./cmd/licensing-api && go build -o "$work/hostile-load" ./cmd/hostile-load)
"$work/licensing-api" seed -assignments "${ASSIGNMENTS:-1000000}" -subscriptions "${SUBSCRIPTIONS:-100000}" | tail -n 1
eval "$("$work/licensing-api" create-operator-key -export)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$work/licensing-api" serve -addr "127.0.0.1:$port" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo "== attacks flat out, a BI key at its limit, and a well-behaved client"
"$work/hostile-load" -url "http://127.0.0.1:$port" -operator-key "$LICENSING_API_KEY" -duration "$duration" -pid "$server_pid"
echo "== a BI key at its limit and a well-behaved client, no attacks"
"$work/hostile-load" -url "http://127.0.0.1:$port" -operator-key "$LICENSING_API_KEY" -duration "$duration" -attackers 0 -pid "$server_pid"
