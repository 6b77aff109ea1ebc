#!/usr/bin/env bash
# One-shot job of the compose demo, run from the centre image: makes sure device DEVICE_ID is
# registered with the centre (Redis at REDIS_URL) and that PASSWORD_FILE (mode 600) holds its
# password, for the edge container to read as MQTT_PASSWORD_FILE. A password is printed only once,
# at registration: a registered device whose file is lost gets a new one. A device that is
# registered and has its file is left alone, so a running edge keeps a working password.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cli="$here/../dist/cli/main.js"
: "${DEVICE_ID:?set DEVICE_ID to the device to register}"
: "${PASSWORD_FILE:?set PASSWORD_FILE to where the password goes}"

exists=$(node "$cli" device list --json | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    process.stdout.write(String(JSON.parse(s).some((d) => d.deviceId === process.argv[1])));
  });' "$DEVICE_ID")
if [ "$exists" = true ] && [ -s "$PASSWORD_FILE" ]; then
  echo "register-device: ${DEVICE_ID} is registered; its password is in $PASSWORD_FILE" >&2
  exit 0
fi
if [ "$exists" = true ]; then mode=(--rotate); else mode=(); fi

umask 077
mkdir -p "$(dirname "$PASSWORD_FILE")"
# The password goes from the CLI straight into the file, never through an argument or variable.
node "$cli" device add "$DEVICE_ID" "${mode[@]}" --json | node -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(JSON.parse(s).password));' >"$PASSWORD_FILE.tmp"
mv "$PASSWORD_FILE.tmp" "$PASSWORD_FILE"
echo "register-device: ${DEVICE_ID} $([ "$exists" = true ] && echo 'has a new password' || echo 'registered'); password in $PASSWORD_FILE" >&2
