# syntax=docker/dockerfile:1
# The pole agent: `streetwatch edge run` with ffmpeg. Pole boxes are mostly arm64; build from the
# repository root, for one or both architectures:
#   docker build -f docker/edge.Dockerfile -t streetwatch-edge .
#   docker buildx build --platform linux/arm64,linux/amd64 -f docker/edge.Dockerfile -t streetwatch-edge .
# The models are not in the image: the entrypoint fetches them into /var/cache/streetwatch at the
# first start (mount a volume there), or a mounted cache already holds them.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: TypeScript → dist/ (needs the dev dependencies) ------------------------------------
# Runs on the build machine's own platform: its output is plain JavaScript, so a cross build does
# not compile under emulation.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` would build before the sources are copied; no dependency needs its
# install script (onnxruntime-node's only fetches GPU providers, which .npmrc skips anyway).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production node_modules for the target platform ---------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# --omit=dev leaves out tsc, so `prepare` must not run (--ignore-scripts). onnxruntime-node and
# sharp ship prebuilt glibc binaries for linux x64 and arm64; npm picks sharp's for this platform.
# onnxruntime-node carries every platform's (~290 MB): keep only this one's.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && find "$ort" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} + \
 && find "$ort/linux" -mindepth 1 -maxdepth 1 ! -name "$(node -p process.arch)" -exec rm -rf {} + \
 && test -f "$ort/linux/$(node -p process.arch)/onnxruntime_binding.node" \
 && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# Debian's ffmpeg (and ffprobe) follow the distribution's security updates; pinning its exact
# version would break the build at each of them.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
# MALLOC_ARENA_MAX: glibc gives every thread (workers, onnxruntime, ffmpeg readers) its own malloc
# arena; two are plenty and keep the agent ~40 MB smaller (bench:edge).
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    STREETWATCH_CACHE=/var/cache/streetwatch \
    STREETWATCH_MODELS="yolox_nano y5fu_640x_sim" \
    STREETWATCH_HEALTH_FILE=/tmp/streetwatch-healthy
# A fixed uid/gid, the same in the centre image: the compose demo hands the device password from
# one to the other through a shared volume.
RUN groupadd --system --gid 10001 streetwatch \
 && useradd --system --uid 10001 --gid streetwatch --home-dir /var/lib/streetwatch --shell /usr/sbin/nologin streetwatch \
 && install -d -o streetwatch -g streetwatch /var/lib/streetwatch /var/lib/streetwatch/spool /var/lib/streetwatch/credentials /var/cache/streetwatch \
 && install -d /etc/streetwatch
WORKDIR /app
# Everything below stays root-owned: the agent cannot change its own code.
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY package.json ./
COPY models/manifests models/manifests
COPY docker/entrypoint-lib.sh docker/edge-entrypoint.sh docker/fetch-clip.mjs docker/
USER streetwatch
# The agent rewrites the health file every 10 s while every camera makes progress (edge/adapters/systemd-notify.ts).
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
  CMD ["sh", "-c", "test -n \"$(find \"$STREETWATCH_HEALTH_FILE\" -newermt '-60 seconds' 2>/dev/null)\""]
ENTRYPOINT ["/app/docker/edge-entrypoint.sh"]
CMD ["edge", "run", "--config", "/etc/streetwatch/edge.yaml"]
