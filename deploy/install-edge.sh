#!/usr/bin/env bash
# Installs the StreetWatch edge agent on a pole box without Docker, as the systemd service
# streetwatch-edge, from a checkout of this repository. Needs Node.js >= 20.9 with npm, and ffmpeg.
# Run it again to upgrade: the code is replaced, the config and the spool are kept.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/install-edge.sh [options]   (as root)

  --config FILE   install FILE as /etc/streetwatch/edge.yaml (default: deploy/edge.yaml, a
                  template); an existing edge.yaml is never overwritten
  --root DIR      install under DIR instead of / (staging a disk image; tests)
  --no-useradd    do not create the streetwatch system user
  --no-systemctl  do not reload, enable or restart anything
  --skip-deps     do not run npm ci in /opt/streetwatch (node_modules is provided otherwise,
                  e.g. copied from a box of the same architecture)
EOF
}

root="" config="" useradd=1 systemctl=1 deps=1
while (($#)); do
  case $1 in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --config) config=${2:?--config needs a file}; shift 2 ;;
    --no-useradd) useradd=0; shift ;;
    --no-systemctl) systemctl=0; shift ;;
    --skip-deps) deps=0; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install-edge: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
root=${root%/}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { echo "install-edge: $*"; }

node=$(command -v node) || { echo "install-edge: node is not on PATH (Node.js >= 20.9 is needed)" >&2; exit 1; }
command -v ffmpeg >/dev/null || say "warning: ffmpeg is not on PATH; the agent needs it (apt-get install ffmpeg)"
if [ -n "$config" ] && [ ! -r "$config" ]; then echo "install-edge: cannot read $config" >&2; exit 1; fi

# 1. Build the checkout if it is not built yet (npm ci runs `prepare`, which builds).
if [ ! -f "$repo/dist/cli/main.js" ]; then
  say "building $repo"
  (cd "$repo" && npm ci --no-audit --no-fund)
fi

# 2. The app, put in place whole: a failed install leaves the old one running.
app="$root/opt/streetwatch"
rm -rf "$app.new"
install -d "$app.new/models"
cp -a "$repo/package.json" "$repo/package-lock.json" "$repo/.npmrc" "$repo/dist" "$app.new/"
cp -a "$repo/models/manifests" "$app.new/models/"
if ((deps)); then
  # --ignore-scripts: `prepare` would build, and --omit=dev has no tsc. onnxruntime-node and sharp
  # ship prebuilt binaries for linux x64 and arm64: nothing is compiled on the box.
  (cd "$app.new" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund)
fi
rm -rf "$app.old"
if [ -d "$app" ]; then mv "$app" "$app.old"; fi
mv "$app.new" "$app"
rm -rf "$app.old"
install -d "$root/usr/local/bin"
printf '#!/bin/sh\nexec %s /opt/streetwatch/dist/cli/main.js "$@"\n' "$node" >"$root/usr/local/bin/streetwatch"
chmod 0755 "$root/usr/local/bin/streetwatch"
say "app in $app"

# 3. The service user. Its state and cache directories are made by systemd (StateDirectory=).
if ((useradd)) && ! getent passwd streetwatch >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/streetwatch --no-create-home --shell /usr/sbin/nologin streetwatch
  say "created system user streetwatch"
fi

# 4. Config: never overwritten. Both files may hold secrets (`edge init` writes the broker
# password into edge.yaml; edge.env holds it otherwise): root and the streetwatch group only.
etc="$root/etc/streetwatch"
install -d -m 0755 "$etc"
private() {
  install -m 0640 "$1" "$2"
  if getent group streetwatch >/dev/null; then chgrp streetwatch "$2"; fi
  say "installed $2"
}
if [ -e "$etc/edge.yaml" ]; then
  say "kept $etc/edge.yaml${config:+ (not replaced by $config: remove it first)}"
else
  private "${config:-$repo/deploy/edge.yaml}" "$etc/edge.yaml"
fi
if [ ! -e "$etc/edge.env" ]; then private "$repo/deploy/edge.env" "$etc/edge.env"; fi

# 5. The unit, pointed at this box's node, and the journal's size cap (journald rotates the logs).
install -d "$root/etc/systemd/system" "$root/etc/systemd/journald.conf.d"
sed "s|/usr/bin/node |$node |g" "$repo/deploy/systemd/streetwatch-edge.service" >"$root/etc/systemd/system/streetwatch-edge.service"
chmod 0644 "$root/etc/systemd/system/streetwatch-edge.service"
install -m 0644 "$repo/deploy/journald/50-streetwatch.conf" "$root/etc/systemd/journald.conf.d/50-streetwatch.conf"

if ((systemctl)); then
  systemctl daemon-reload
  systemctl restart systemd-journald
  systemctl enable streetwatch-edge
  # An upgrade restarts a running agent; a new box starts once it is configured.
  systemctl try-restart streetwatch-edge
fi
say "done. Set DEVICE_ID, MQTT_URL, MQTT_PASSWORD and the camera in $etc/edge.env and $etc/edge.yaml, then:"
say "  systemctl start streetwatch-edge && journalctl -u streetwatch-edge -f -o cat"
