import { describe, expect, it } from 'vitest';
import { failureKind } from '../../../src/errors.js';
import { Prisma } from '../../../src/generated/prisma/client.js';
import { isDatabaseUnavailable, storeFailure, toDatabaseError } from '../../../src/store/database-failure.js';

// node-postgres errors carry the SQLSTATE in `code` and a `severity`; Prisma's
// driver adapter wraps them (a DriverAdapterError whose cause names a kind and
// keeps the SQLSTATE as `originalCode`) in its own error classes.
const postgresError = (code: string) => Object.assign(new Error(`postgres says ${code}`), { code, severity: 'ERROR' });
const clientVersion = Prisma.prismaVersion.client;
const driverAdapterError = (cause: Record<string, unknown>) =>
  Object.assign(new Error(String(cause.kind)), { name: 'DriverAdapterError', cause });
const knownRequestError = (code: string, cause?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError(`Raw query failed. Code: \`N/A\`.`, {
    code,
    clientVersion,
    meta: cause && { driverAdapterError: driverAdapterError(cause) },
  });
const adapterError = (originalCode: string) =>
  knownRequestError('P2010', {
    kind: 'postgres',
    code: originalCode,
    originalCode,
    originalMessage: `says ${originalCode}`,
  });

describe('database failures', () => {
  it.each(['22003', '22P02', '23505', '23503'])(
    '%s fails the same way every time: permanent, and the database is up',
    (code) => {
      for (const error of [postgresError(code), adapterError(code)]) {
        expect(toDatabaseError(error)).toMatchObject({
          sqlstate: code,
          kind: 'permanent',
          retriable: false,
          unavailable: false,
        });
      }
    },
  );

  it.each([
    '08006',
    '28P01',
    '3D000',
    '53300',
    '57P01',
    '57014',
    '55P03',
    '40001',
    '40P01',
    '25006',
    '25P03',
    '25P04',
    '42501',
  ])('%s passes: retried, and HTTP answers 503', (code) => {
    for (const error of [postgresError(code), adapterError(code)]) {
      expect(toDatabaseError(error)).toMatchObject({
        sqlstate: code,
        kind: 'retriable',
        retriable: true,
        unavailable: true,
      });
      expect(isDatabaseUnavailable(error)).toBe(true);
    }
  });

  it.each(['25P02', '25001', '42601', '42P01', 'XX000'])(
    '%s, a state of our own making or a bug in SQL, is no outage: unclassified, and HTTP answers 500',
    (code) => {
      for (const error of [postgresError(code), adapterError(code)]) {
        const classified = toDatabaseError(error);
        expect(classified).toMatchObject({ sqlstate: code, kind: 'unclassified', unavailable: false });
        expect(failureKind(classified)).toBe('unclassified');
        expect(isDatabaseUnavailable(error)).toBe(false);
      }
    },
  );

  it.each([
    ['DatabaseNotReachable', { kind: 'DatabaseNotReachable', host: 'db', port: 5432 }],
    ['ConnectionClosed', { kind: 'ConnectionClosed' }],
    ['SocketTimeout', { kind: 'SocketTimeout' }],
    ['TlsConnectionError', { kind: 'TlsConnectionError', reason: 'self-signed certificate' }],
  ])('takes the adapter error %s, where no server answered, for an outage', (_kind, cause) => {
    const error = knownRequestError('P2010', cause);
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(toDatabaseError(error)).toMatchObject({ sqlstate: null, kind: 'retriable' });
  });

  it('leaves an adapter error of another kind, with no SQLSTATE, unclassified', () => {
    // What @prisma/adapter-pg throws for a column of a type it cannot read.
    const error = knownRequestError('P2010', { kind: 'UnsupportedNativeDataType', type: 'tsvector' });
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(failureKind(storeFailure(error))).toBe('unclassified');
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Client has encountered a connection error and is not queryable',
    'timeout exceeded when trying to connect',
  ])('takes node-postgres saying "%s" for an outage', (message) => {
    // Prisma passes these on as they are, with its clientVersion added.
    const error = Object.assign(new Error(message), { clientVersion });
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(failureKind(storeFailure(error))).toBe('retriable');
  });

  it('takes Prisma not finding a free connection to start a transaction for an outage, and other transaction errors not', () => {
    const busy = new Prisma.PrismaClientKnownRequestError(
      'Transaction API error: Unable to start a transaction in the given time.',
      { code: 'P2028', clientVersion },
    );
    const expired = new Prisma.PrismaClientKnownRequestError(
      'Transaction API error: A query cannot be executed on an expired transaction.',
      { code: 'P2028', clientVersion },
    );
    expect(toDatabaseError(busy).kind).toBe('retriable');
    expect(toDatabaseError(expired).kind).toBe('unclassified');
    expect(
      toDatabaseError(
        new Prisma.PrismaClientKnownRequestError('Cannot reach the database', { code: 'P1001', clientVersion }),
      ).kind,
    ).toBe('retriable');
  });

  it('leaves a Prisma validation error, a bug in our arguments, unclassified, with its telling line as the message', () => {
    const error = new Prisma.PrismaClientValidationError(
      'Invalid `prisma.contract.findMany()` invocation:\n\nUnknown argument `nope`.',
      { clientVersion },
    );
    const classified = storeFailure(error);
    expect(classified).toMatchObject({
      name: 'DatabaseError',
      sqlstate: null,
      kind: 'unclassified',
      message: 'Unknown argument `nope`.',
    });
    expect(failureKind(classified)).toBe('unclassified');
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it("passes a bug of the store's own code on as it is, unclassified", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'event_id')");
    expect(storeFailure(bug)).toBe(bug);
    expect(failureKind(storeFailure(bug))).toBe('unclassified');
    expect(isDatabaseUnavailable(bug)).toBe(false);
    expect(toDatabaseError(new Error('something odd'))).toMatchObject({
      sqlstate: null,
      kind: 'unclassified',
      unavailable: false,
    });
  });
});
