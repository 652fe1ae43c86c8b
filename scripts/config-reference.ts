import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from '../src/config-schema.js';
import { SECRET_SETTINGS, isSecretSetting } from '../src/config-secrets.js';

// Writes docs/configuration.md from the zod config schema, so the reference
// cannot drift from the code (`npm run docs:config`; a test compares).

export const CONFIG_REFERENCE_PATH = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

type JsonSchema = {
  type?: string;
  enum?: string[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  format?: string;
};

const code = (value: string) => `\`${value}\``;

/** What the variable accepts, from the JSON Schema of the schema's input side. */
function allowedValues(field: z.ZodType): string {
  const json = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (json.enum?.includes('true') && json.enum.includes('false')) return 'boolean: `true`/`false`, `1`/`0`, `yes`/`no`';
  if (json.enum) return json.enum.map(code).join(', ');
  if (json.type === 'integer') {
    const min = json.minimum ?? (json.exclusiveMinimum === undefined ? undefined : json.exclusiveMinimum + 1);
    const max = json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
    if (min !== undefined && max !== undefined) return `integer ${min}–${max}`;
    return min === undefined ? 'integer' : `integer ≥ ${min}`;
  }
  return json.format === 'uri' ? 'URL' : 'text';
}

/** The value the service uses when the variable is unset, as one would write it. */
function defaultValue(field: z.ZodType): string {
  const unset: unknown = field.parse(undefined);
  if (unset === undefined) return '—';
  return code(Array.isArray(unset) ? unset.join(',') : String(unset));
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function row(name: string, field: z.ZodType): string {
  const meaning = field.description;
  if (meaning === undefined) throw new Error(`${name} has no description in src/config-schema.ts`);
  const variable = isSecretSetting(name) ? `${code(name)} (or ${code(`${name}_FILE`)}), **secret**` : code(name);
  return `| ${variable} | ${defaultValue(field)} | ${cell(allowedValues(field))} | ${cell(meaning)} |`;
}

export function renderConfigReference(): string {
  const rows = Object.entries(configSchema.shape).map(([name, field]) => row(name, field as z.ZodType));
  return [
    '<!-- Generated from src/config-schema.ts by `npm run docs:config`; do not edit by hand. -->',
    '',
    '# Configuration',
    '',
    'All settings are environment variables, validated at start-up; an invalid value',
    'stops the process with one line per problem (never quoting a secret). Empty',
    `counts as unset. Every secret — ${SECRET_SETTINGS.map(code).join(', ')} — may instead be given as`,
    '`<NAME>_FILE`, the path of a file holding it (one trailing line break is',
    'dropped), the way Docker and Kubernetes secrets are mounted; setting both forms',
    'is an error. The TLS material is usually given that way (`KAFKA_SSL_CA_FILE`),',
    'but PEM text in `KAFKA_SSL_CA` works too. Secrets are marked **secret** below.',
    '',
    '| variable | default | allowed values | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
    'The development scripts (`npm run dev`, `npm run infra:up`) read one more:',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    '| `CONTRACT_EVENTS_HOME` | `~/.cache/contract-events-service` | where jars, local data and logs are kept |',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(CONFIG_REFERENCE_PATH, renderConfigReference());
  console.log(`Wrote ${CONFIG_REFERENCE_PATH}`);
}
