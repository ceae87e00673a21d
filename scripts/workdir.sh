# Sourced by the scripts that build and serve licensing-api: a work directory, removed on exit
# after the server they started (its pid in server_pid) is stopped.
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
