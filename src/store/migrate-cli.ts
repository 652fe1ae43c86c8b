import { loadConfig } from '../config.js';
import { applyMigrations } from './migrations.js';

// `npm run db:migrate`: applies pending migrations to DATABASE_URL.
try {
  const config = loadConfig();
  const applied = await applyMigrations(config.DATABASE_URL);
  console.log(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database is up to date.');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
