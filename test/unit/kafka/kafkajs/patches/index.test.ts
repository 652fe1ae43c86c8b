// kafkajs as the service loads it: patched first.
import '../../../../../src/kafka/kafkajs/patched.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import {
  applyKafkajsPatches,
  checkKafkajsVersion,
  PATCHED_KAFKAJS_VERSION,
} from '../../../../../src/kafka/kafkajs/patches/index.js';
import { isPatched } from '../../../../../src/kafka/kafkajs/patches/marker.js';

const require = createRequire(import.meta.url);

/** What each patch replaces, as kafkajs's modules hold it now. */
const patchedTargets = () => [
  require('kafkajs/src/consumer/filterAbortedMessages.js') as unknown,
  (require('kafkajs/src/network/requestQueue/index.js') as { prototype: { scheduleCheckPendingRequests: unknown } })
    .prototype.scheduleCheckPendingRequests,
  require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as unknown,
  (require('kafkajs/src/cluster/brokerPool.js') as { prototype: { withBroker: unknown } }).prototype.withBroker,
  (require('kafkajs/src/cluster/index.js') as { prototype: { findGroupCoordinator: unknown } }).prototype
    .findGroupCoordinator,
];

describe('the kafkajs version check', () => {
  it('accepts the release the patches were written for', () => {
    expect(() => checkKafkajsVersion('2.2.4')).not.toThrow();
  });

  it.each(['2.2.3', '2.3.0', '3.0.0'])('refuses kafkajs %s, naming it, the patches and the pin', (version) => {
    expect(() => checkKafkajsVersion(version)).toThrow(
      `kafkajs ${version} is installed; the service's patches (src/kafka/kafkajs/patches) were written for 2.2.4: pin "kafkajs": "2.2.4"`,
    );
  });

  it('matches the exact pin in package.json and the installed kafkajs', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies.kafkajs).toBe('2.2.4');
    expect(PATCHED_KAFKAJS_VERSION).toBe('2.2.4');
    expect((require('kafkajs/package.json') as { version: string }).version).toBe('2.2.4');
  });
});

describe('applying the patches', () => {
  it('has put every patch in place once loading kafkajs through patched.ts', () => {
    expect(patchedTargets().map(isPatched)).toEqual([true, true, true, true, true]);
  });

  it('applies none a second time', () => {
    const before = patchedTargets();
    expect(applyKafkajsPatches()).toEqual([]);
    expect(applyKafkajsPatches()).toEqual([]);
    patchedTargets().forEach((target, i) => expect(target).toBe(before[i]));
  });
});

describe('the lint rule on kafkajs imports', () => {
  const lint = async (code: string, filePath: string) =>
    (await new ESLint().lintText(code, { filePath })).flatMap((result) =>
      result.messages.map((message) => message.ruleId),
    );

  it("refuses loading kafkajs other than through patched.ts, in the service's code and in tests", async () => {
    expect(
      await lint("import { Kafka } from 'kafkajs';\nexport const kafka = Kafka;\n", 'src/kafka/outbox-relay.ts'),
    ).toContain('@typescript-eslint/no-restricted-imports');
    expect(
      await lint("import { Kafka } from 'kafkajs';\nexport const kafka = Kafka;\n", 'test/support/topic-reader.ts'),
    ).toContain('@typescript-eslint/no-restricted-imports');
    expect(await lint("import 'kafkajs/src/consumer/batch.js';\n", 'src/kafka/kafkajs/subscriber.ts')).toContain(
      '@typescript-eslint/no-restricted-imports',
    );
  });

  it('lets type-only imports through', async () => {
    expect(
      await lint("import type { Kafka } from 'kafkajs';\nexport type Client = Kafka;\n", 'src/kafka/kafkajs/admin.ts'),
    ).toEqual([]);
  });
});
