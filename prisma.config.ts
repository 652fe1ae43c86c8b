import { defineConfig } from 'prisma/config';

// The Prisma CLI (generate, migrate deploy) reads this file. The default URL
// is the local Postgres that `npm run infra:up` starts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5433/contract_events',
  },
});
