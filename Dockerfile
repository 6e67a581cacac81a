# One image for every node role; SERVICES picks what a container runs.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The npm packages' static ffmpeg and ffprobe (a 2018 build) are dropped: the runtime stage has Debian's.
RUN npx tsc -p tsconfig.build.json \
 && npx tsx scripts/build-web.ts \
 && npm prune --omit=dev \
 && rm -rf node_modules/@ffmpeg-installer/linux-* node_modules/@ffprobe-installer/linux-*

FROM node:22-bookworm-slim
# Debian's ffmpeg (patched with the distribution's security updates), and tini as PID 1: it hands SIGTERM to node
# (whose drain and grace make a rollout lose nothing) and reaps the ffmpeg processes the transcoder starts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 DATA_DIR=/data WEB_DIR=/app/web/dist \
    FFMPEG_PATH=/usr/bin/ffmpeg FFPROBE_PATH=/usr/bin/ffprobe
# DATA_DIR belongs to the runtime user (the embedded store, the search index and the generated token key live
# there when a container runs without Cassandra and OpenSearch).
RUN mkdir -p /data && chown 1000:1000 /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
# The image's `node` user, by number, so that Kubernetes can check runAsNonRoot against it.
USER 1000:1000
# PORT (the API and the probes) and the METRICS_PORT the k8s manifests use.
EXPOSE 3000 9464
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/bin/mosaic.js"]
