# idgen's container image: three stages on the official Bun image.
#   deps    production dependencies only (from package-lock.json, frozen)
#   build   the rules engine (AssemblyScript -> wasm/build/rules.wasm), which needs the dev dependencies
#   runtime slim Bun, the sources, the engine and the production dependencies; runs as the unprivileged
#           `bun` user the official image ships (uid 1000), and starts with `bun src/main.ts` (= npm run serve)
# The image needs a database (DATABASE_URL or DB_*): the embedded PostgreSQL that `npm start` uses on a laptop
# is an optional dependency left out here (60 MB of binaries no cluster should run).
# Build:   docker build -t idgen .
# Run:     docker run -p 8080:8080 -e DATABASE_URL=postgres://... idgen
# Migrate: docker run -e DATABASE_URL=postgres://... idgen bun src/migrate-main.ts   (= npm run migrate)
ARG BUN_VERSION=1.4

FROM oven/bun:${BUN_VERSION} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY wasm/package.json wasm/package.json
COPY src/db/postgres-fix.mjs src/db/postgres-fix.mjs
# Bun reads package-lock.json as its lockfile; --frozen-lockfile refuses to resolve anything it does not pin.
# Install scripts are off (no dependency runs code at build time); the package's own postinstall, the
# postgres.js fix (src/db/postgres-fix.mjs), runs explicitly, with bun (the image has no node), and the build
# fails if it did not apply.
RUN bun install --production --frozen-lockfile --omit optional --ignore-scripts \
 && bun src/db/postgres-fix.mjs | tee /tmp/postgres-fix.log \
 && ! grep -q "not fixed" /tmp/postgres-fix.log

FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY wasm/package.json wasm/package.json
# The npm package `bun` (a dev dependency, so that `npm install` brings Bun on a laptop) would shadow the
# image's own bun in `bun run`; with install scripts off it is a stub that refuses to run: removed.
RUN bun install --frozen-lockfile --omit optional --ignore-scripts \
 && rm -f node_modules/.bin/bun node_modules/.bin/bunx
COPY wasm/ wasm/
RUN bun run build

FROM oven/bun:${BUN_VERSION}-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production PORT=8080
# Bun's allocator (mimalloc) keeps the memory it frees instead of handing it back to the OS within 100 ms.
# Under load the service's JS heap is freed and refilled in bulk at every collection; purging it made the
# kernel fault the same pages in again, on the main thread and on two helper threads: 1.03x to 1.22x issuance
# throughput with -1 depending on the machine (npm run bench:memory, bench/results/memory-latest.md). The cost:
# a pod's resident memory stays at its peak (556 MB after npm run bench's mixed load), hence the 768Mi limit in
# deploy/base. Set it to 100 (or unset it) to return memory sooner and run with a smaller limit.
ENV MIMALLOC_PURGE_DELAY=-1
COPY --from=deps /app/node_modules node_modules
COPY package.json ./
COPY src/ src/
COPY sql/ sql/
COPY wasm/package.json wasm/index.js wasm/index.d.ts wasm/params.js wasm/rules.js wasm/space.js wasm/
COPY --from=build /app/wasm/build/rules.wasm wasm/build/rules.wasm
COPY --from=build /app/wasm/build/rules.scalar.wasm wasm/build/rules.scalar.wasm
USER bun
EXPOSE 8080
# Liveness, not readiness: a database outage must not get the container restarted (its buffers still serve).
# bun is the only runtime in the image (no curl); fetch fails on a refused connection and on a 5 s timeout.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch(`http://127.0.0.1:${process.env.PORT ?? 8080}/livez`, { signal: AbortSignal.timeout(4000) }); process.exit(r.ok ? 0 : 1)"]
# Exec form: bun is PID 1 and gets SIGTERM itself (graceful stop: in-flight requests finish, buffers go back).
CMD ["bun", "src/main.ts"]
