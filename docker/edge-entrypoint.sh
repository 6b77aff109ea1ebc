#!/usr/bin/env bash
# Entrypoint of the edge image: reads MQTT_PASSWORD_FILE, makes sure the models named in
# STREETWATCH_MODELS are in the cache (STREETWATCH_CACHE, a volume: downloaded at the first start,
# only checked by sha256 after that), then runs the streetwatch CLI with the container's arguments.
# It does not wait for the broker: the agent records into its spool while the broker is away.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/entrypoint-lib.sh
. "$here/entrypoint-lib.sh"

main() {
  file_env MQTT_PASSWORD
  local cli="$here/../dist/cli/main.js"
  # Only the agent needs the models: `models list`, `--help` and the like start without them.
  if [ "${1:-}" = edge ] && [ -n "${STREETWATCH_MODELS:-}" ]; then
    local models
    read -r -a models <<<"$STREETWATCH_MODELS"
    node "$cli" models fetch "${models[@]}" >&2
  fi
  exec node "$cli" "$@"
}

# Sourced (by the tests) it only defines the functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
