import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, toDatabaseError } from '../../../src/store/database-failure.js';

// node-postgres errors carry the SQLSTATE in `code` and a `severity`; Prisma's
// driver adapter wraps them and keeps the SQLSTATE as `originalCode`.
const postgresError = (code: string) => Object.assign(new Error(`postgres says ${code}`), { code, severity: 'ERROR' });
const adapterError = (originalCode: string) =>
  Object.assign(new Error('adapter'), { code: 'P2010', meta: { driverAdapterError: { cause: { kind: 'postgres', originalCode, originalMessage: `says ${originalCode}` } } } });

describe('database failures', () => {
  it.each(['22003', '22P02', '23505', '23503'])('%s fails the same way every time: permanent, and the database is up', (code) => {
    for (const error of [postgresError(code), adapterError(code)]) {
      expect(toDatabaseError(error)).toMatchObject({ sqlstate: code, retriable: false, unavailable: false });
    }
  });

  it.each(['08006', '53300', '57P01', '57014', '55P03', '40001', '40P01', '25006', '25P03', '25P04'])('%s passes: retried, and HTTP answers 503', (code) => {
    for (const error of [postgresError(code), adapterError(code)]) {
      expect(toDatabaseError(error)).toMatchObject({ sqlstate: code, retriable: true, unavailable: true });
      expect(isDatabaseUnavailable(error)).toBe(true);
    }
  });

  it.each(['25P02', '25001'])('%s, an invalid transaction state of our own making, is no outage: retried, but HTTP answers 500', (code) => {
    for (const error of [postgresError(code), adapterError(code)]) {
      expect(toDatabaseError(error)).toMatchObject({ sqlstate: code, retriable: true, unavailable: false });
    }
  });

  it('takes a pool with no free connection in time for a busy database', () => {
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
  });

  it('keeps an unknown failure retriable but does not call the database unavailable', () => {
    expect(toDatabaseError(new Error('something odd'))).toMatchObject({ sqlstate: null, retriable: true, unavailable: false });
  });
});
