import { z } from 'zod';

// The kinds of value settings take, each parsed from an environment string.

export const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

export const kafkaBrokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected at least one host:port'));

export const port = z.coerce.number().int().min(0).max(65535);

export const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' });

export const pem = z.string().regex(/-----BEGIN [A-Z0-9 ]+-----/, 'expected PEM text (-----BEGIN ...-----)');

// Long enough that guessing is hopeless; `openssl rand -hex 32` gives 64 characters.
const token = z
  .string()
  .min(16, 'expected tokens of at least 16 characters')
  .regex(/^[\x21-\x2b\x2d-\x7e]+$/, 'expected tokens of printable ASCII without spaces or commas');

// Several tokens, separated by commas or line breaks, are all accepted: a
// new one is added beside the old before clients move to it (rotation).
export const tokens = z
  .string()
  .transform((value) => value.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(token).min(1, 'expected at least one token'));
