import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installAuthentication, type ApiTokens } from '../../../src/http/auth.js';
import { credentialLabel, credentialOf } from '../../../src/http/credential.js';

// The label that records who deleted a contract: the token that let the
// request through, named without revealing it. The expected labels were
// computed outside the code, as docs/http-api.md tells operators to:
// printf %s "$TOKEN" | sha256sum | cut -c1-12

const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-0123456789abcdef';
const OLD_LABEL = 'api-token:cf29669ca91d';
const NEW_LABEL = 'api-token:dfa0c34c7a96';

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

/** A write and a read route that answer the credential they were called with. */
async function appWith(tokens: ApiTokens): Promise<FastifyInstance> {
  const built = Fastify();
  installAuthentication(built, tokens);
  built.post('/write', { config: { access: 'write' } }, async (request) => credentialOf(request));
  built.get('/read', { config: { access: 'read' } }, async (request) => credentialOf(request));
  await built.ready();
  return built;
}

const call = (method: 'GET' | 'POST', url: string, token?: string) =>
  app!.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

describe('credentialLabel', () => {
  it('is api-token: and the first 12 hex digits of the SHA-256 of the token', () => {
    expect(credentialLabel(OLD)).toBe(OLD_LABEL);
    expect(credentialLabel(NEW)).toBe(NEW_LABEL);
  });
});

describe('credentialOf', () => {
  it('names the token that matched, each of several while they are rotated', async () => {
    app = await appWith({ write: [NEW, OLD] });
    expect((await call('POST', '/write', OLD)).body).toBe(OLD_LABEL);
    expect((await call('POST', '/write', NEW)).body).toBe(NEW_LABEL);
  });

  it('is anonymous where no token is asked for', async () => {
    app = await appWith({});
    expect((await call('POST', '/write')).body).toBe('anonymous');
    await app.close();
    // Reads stay open without API_READ_TOKEN: a token sent along is not checked, so it names nobody.
    app = await appWith({ write: [OLD] });
    expect((await call('GET', '/read', OLD)).body).toBe('anonymous');
  });

  it('names the read token on a read route that asks for one', async () => {
    app = await appWith({ write: [NEW], read: [OLD] });
    expect((await call('GET', '/read', OLD)).body).toBe(OLD_LABEL);
  });
});
