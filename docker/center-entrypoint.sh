#!/usr/bin/env bash
# Entrypoint of the centre image: reads *_FILE secrets, waits for Redis (REDIS_URL) to accept
# connections, then runs the streetwatch CLI with the container's arguments (default `center`).
# The centre exits at once without Redis; waiting here spares a restart loop while Redis starts.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/entrypoint-lib.sh
. "$here/entrypoint-lib.sh"

# redis_address URL: "host port" of a redis:// or rediss:// URL; user, password, database and
# query are dropped, IPv6 brackets removed, the port defaults to 6379.
redis_address() {
  local rest=${1#*://}
  rest=${rest##*@}
  rest=${rest%%/*}
  rest=${rest%%\?*}
  local host port
  if [[ $rest == \[* ]]; then
    host=${rest%%]*}
    host=${host#[}
    port=${rest#*]}
    port=${port#:}
  else
    host=${rest%%:*}
    port=${rest#"$host"}
    port=${port#:}
  fi
  echo "${host:-127.0.0.1} ${port:-6379}"
}

# wait_for_tcp HOST PORT SECONDS: returns once HOST:PORT accepts a connection, fails after SECONDS.
wait_for_tcp() {
  local host=$1 port=$2 limit=$3
  local deadline=$((SECONDS + limit))
  # Each try is bounded: a dropped SYN would otherwise block for minutes. The inner bash expands
  # its own $0 and $1, hence the single quotes.
  # shellcheck disable=SC2016
  until timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "entrypoint: $host:$port did not accept connections within $limit s" >&2
      return 1
    fi
    sleep 1
  done
}

main() {
  local name
  for name in REDIS_URL CENTER_MQTT_PASSWORD LINK_SECRET OPERATOR_TOKEN OFFICER_TOKEN ADMIN_TOKEN TEAM_WEBHOOK_SECRET INFLUX_TOKEN; do
    file_env "$name"
  done
  if [ -n "${REDIS_URL:-}" ] && [ "${WAIT_TIMEOUT:-60}" != 0 ]; then
    local host port
    read -r host port <<<"$(redis_address "$REDIS_URL")"
    wait_for_tcp "$host" "$port" "${WAIT_TIMEOUT:-60}"
  fi
  exec node "$here/../dist/cli/main.js" "$@"
}

# Sourced (by the tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
