# syntax=docker/dockerfile:1
# One image for every process (router, each subgraph, workers, the migrate one-shot); the command
# chosen in docker-compose.yml picks which: `node router/src/index.ts`, `node subgraphs/<name>/src/index.ts`,
# `node workers/src/index.ts`, `node scripts/migrate.ts`.
#
# There is no compile step: Node 22 runs the TypeScript sources directly (type stripping; the code
# keeps to erasable syntax). The root package.json's devDependency `node` only puts a Node 22 binary
# into node_modules/.bin on machines whose system Node is older; the image has Node 22 already, so
# that package, like every other dev-only package, is left out of the runtime stage.

# Pinned to a full Node 22 LTS version (engines: >=22.18.0); bump deliberately.
ARG NODE_IMAGE=node:22.22.1-bookworm-slim

# --- manifests: the lockfile and every workspace's package.json (npm ci needs all of them) -------
FROM ${NODE_IMAGE} AS base
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY router/package.json router/
COPY workers/package.json workers/
COPY subgraphs/auth/package.json subgraphs/auth/
COPY subgraphs/academic/package.json subgraphs/academic/
COPY subgraphs/tutor/package.json subgraphs/tutor/
COPY subgraphs/retrieval/package.json subgraphs/retrieval/
COPY subgraphs/exam/package.json subgraphs/exam/
COPY subgraphs/notification/package.json subgraphs/notification/
# Fixes to installed packages that npm ci applies (postinstall: patch-package), e.g. @apollo/gateway's.
COPY patches/ patches/

# --- build: with the dev tools, refuse stale schema-derived code and compose the supergraph -------
FROM base AS build
# Scripts off: nothing here needs a native build, and the `node` package's installer would fetch a
# second Node binary for nothing.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN node scripts/check-generated.ts && node scripts/compose.ts

# --- runtime: production dependencies only, non-root ----------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    DATA_DIR=/data \
    BLOB_DIR=/data/blobs
WORKDIR /app
COPY --from=base /app ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force
# Sources stay owned by root (read-only for the service user); only /data is writable.
COPY . .
COPY --from=build /app/router/supergraph.graphql router/supergraph.graphql
# Named volumes mounted on these paths start as copies of them, so they are owned by `node` too:
# uploads (BLOB_DIR) and mails written as files when no SMTP server is set (DATA_DIR/mail).
RUN mkdir -p /data/blobs /data/mail \
 && chown -R node:node /data
USER node
EXPOSE 4000
CMD ["node", "router/src/index.ts"]
