# Guardrail service image (docs/operations.md#the-container).
# Build: docker build -t guardrail .   Smoke test: scripts/container-smoke.sh

# --- build stage: compilers for the native SQLite module, TypeScript, dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# better-sqlite3 is built (or its prebuilt binary fetched) here, for this image's Node and libc.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json app.yml ./
COPY src ./src
COPY bin ./bin
COPY sql ./sql
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"

# --- runtime stage: no compilers, no dev dependencies, no root
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    GUARDRAIL_DB=/data/guardrail.db
WORKDIR /app
RUN groupadd --system --gid 10001 guardrail \
 && useradd --system --uid 10001 --gid guardrail --home-dir /app --shell /usr/sbin/nologin guardrail \
 && mkdir -p /data \
 && chown guardrail:guardrail /data
COPY --from=build /app/package.json /app/app.yml ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY --from=build /app/bin ./bin
COPY --from=build /app/sql ./sql
USER guardrail
# The database, its WAL, backups before upgrades, and uploads waiting for their job.
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/ping').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
# Guardrail's own server: the same app as `npm start`, with an upload-friendly request timeout
# and a request log without headers (docs/service.md). Register the app with `npm start` first.
CMD ["node", "lib/http/serve.js"]
