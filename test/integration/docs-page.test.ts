import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, ensureChromium } from '../support/chromium.js';
import { ALIAS_ROUTES, SPEC_ROUTES } from '../support/documented-routes.js';
import { buildStubHttpApp } from '../support/stub-http-app.js';

// Drives the interactive docs page in headless Chromium, the way a developer
// opens it: every route must be listed, and nothing may load from outside.

// The screenshot kept in docs/ is refreshed on request (UPDATE_DOCS_SCREENSHOT=1),
// so an ordinary test run leaves the work tree as it was.
const SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/openapi-docs.png', import.meta.url))
  : join(tmpdir(), `openapi-docs-${process.pid}.png`);

const TOKEN = 'docs-page-token-0123456789abcdef';
const contract = {
  contractNumber: 'c-1',
  components: ['energy_supply' as const],
  createdAt: '2024-01-01T00:00:00.000000Z',
};

let app: FastifyInstance;
let baseUrl: string;
let profile: string;
let browser: BrowserContext;
const requested: string[] = [];

beforeAll(async () => {
  const executablePath = ensureChromium();
  // With a token, as a deployment reachable from elsewhere runs it: writes answer 401 without it, 204 with it.
  app = await buildStubHttpApp({
    tokens: { write: [TOKEN] },
    contracts: {
      create: async () => contract,
      find: async () => contract,
      findWithStates: async () => undefined,
      delete: async () => true,
    },
  });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  profile = mkdtempSync(join(tmpdir(), 'docs-page-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 1280, height: 900 },
  });
  // Anything not served by the service is recorded and refused, so a CDN asset would fail the test, not slow it.
  await browser.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    return url.startsWith(baseUrl) ? route.continue() : route.abort();
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('GET /docs', () => {
  it('renders swagger-ui listing every route, aliases marked deprecated, from local assets only', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${baseUrl}/docs`);
    expect(response?.ok()).toBe(true);
    const operations = page.locator('.opblock');
    await operations.first().waitFor({ timeout: 30_000 });
    await expect.poll(() => operations.count(), { timeout: 30_000 }).toBe(SPEC_ROUTES.length + ALIAS_ROUTES.length);

    const listed = await operations.evaluateAll((blocks) =>
      blocks.map((block) => ({
        route: `${block.querySelector('.opblock-summary-method')?.textContent?.trim()} ${block.querySelector('[data-path]')?.getAttribute('data-path')}`,
        deprecated: block.classList.contains('opblock-deprecated'),
      })),
    );
    expect(listed.map((entry) => entry.route).sort()).toEqual([...SPEC_ROUTES, ...ALIAS_ROUTES].sort());
    expect(
      listed
        .filter((entry) => entry.deprecated)
        .map((entry) => entry.route)
        .sort(),
    ).toEqual([...ALIAS_ROUTES].sort());
    await expect(page.locator('.information-container .title').textContent()).resolves.toContain(
      'Contract events service',
    );

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(requested.filter((url) => !url.startsWith(baseUrl))).toEqual([]);
  });

  it('shows the request body example from the zod schema when an operation is opened', async () => {
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/docs#/events/post_events`);
    const body = page
      .locator('#operations-events-post_events .body-param__example, #operations-events-post_events .microlight')
      .first();
    await body.waitFor({ timeout: 30_000 });
    await expect(body.textContent()).resolves.toContain('supply_energy_start');
    expect(requested.filter((url) => !url.startsWith(baseUrl))).toEqual([]);
  });

  it('takes a token through Authorize and sends it with a request tried out on a route that changes state', async () => {
    const page = await browser.newPage();
    const sent: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.method() === 'DELETE') sent.push(request.headers().authorization);
    });
    await page.goto(`${baseUrl}/docs`);
    const operation = page.locator('#operations-contracts-delete_contracts__contract_number_');
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('input[placeholder="contract_number"]').fill('c-1');
    const status = operation.locator('.live-responses-table tbody .response-col_status');

    await operation.locator('button.execute').click();
    await expect.poll(() => status.first().textContent(), { timeout: 30_000 }).toContain('401');

    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('input[aria-label="auth-bearer-value"]').fill(TOKEN);
    await page.locator('button.modal-btn.auth.authorize').click();
    await page.locator('button.modal-btn.auth.btn-done').click();
    await operation.locator('button.execute').click();
    await expect.poll(() => status.first().textContent(), { timeout: 30_000 }).toContain('204');

    expect(sent).toEqual([undefined, `Bearer ${TOKEN}`]);
    expect(requested.filter((url) => !url.startsWith(baseUrl))).toEqual([]);
  });
});
