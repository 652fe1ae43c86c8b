// Runs `prisma generate`. Generation does not use Prisma's schema engine, but
// the CLI insists on locating one; where none can be downloaded we point it at
// any existing file (this Node binary) so generation works offline.
import { spawnSync } from 'node:child_process';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
