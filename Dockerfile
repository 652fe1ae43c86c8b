# Build: compile TypeScript and generate the Prisma client. The Prisma CLI and
# every other dev dependency exist in this stage only (`npm ci` runs the
# postinstall generation, which needs the CLI).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The Prisma CLI is an optional peer of @prisma/client, which --omit=dev alone
# keeps; --omit=optional drops it (the only other optional package, pg-cloudflare,
# serves Cloudflare Workers). --ignore-scripts: no postinstall, which needs the
# CLI. Then the build fails if the CLI survived or the service misses a module.
RUN npm run build \
 && npm prune --omit=dev --omit=optional --ignore-scripts \
 && test ! -e node_modules/prisma && test ! -e node_modules/.bin/prisma \
 && node -e "import('./dist/service.js')"

# Run: compiled code, production dependencies and the SQL migrations only,
# owned by root so the service (user node) cannot change them.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
# A heap cap keeps the service near its working set (see bench/RESULTS.md, Performance).
ENV NODE_OPTIONS=--max-old-space-size=192
# Reachable from outside the container, so the service refuses to start
# without API_TOKEN / API_TOKEN_FILE (or ALLOW_UNAUTHENTICATED_HTTP=true), and
# reads ask for a token too (unless ALLOW_ANONYMOUS_READS=true).
ENV HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma/migrations ./prisma/migrations
USER node
EXPOSE 8080
# Liveness, on the management port when MANAGEMENT_PORT moves the health routes there.
# Not readiness: a platform restarts an unhealthy container, and the service is
# healthy while Kafka is away (POST /events goes on deciding); /health/ready is
# for routing traffic.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "const p=process.env.MANAGEMENT_PORT||process.env.HTTP_PORT||8080;fetch(`http://127.0.0.1:${p}/health/live`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
