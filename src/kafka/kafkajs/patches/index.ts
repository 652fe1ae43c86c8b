import { createRequire } from 'node:module';
import { installCoordinatorCache } from './coordinator-cache.js';
import { installReadCommittedFilter } from './read-committed.js';
import { installRecordEncoder } from './record-encoder.js';
import { installRefusalFix } from './refusal-fix.js';
import { installTimeoutFix } from './timeout-fix.js';

// The one place kafkajs is patched. The patches reach into kafkajs's internal
// modules, so they hold for the release they were written against only: a
// different kafkajs is refused at start-up rather than patched blindly.

/** The kafkajs release the patches were written for; package.json pins it exactly. */
export const PATCHED_KAFKAJS_VERSION = '2.2.4';

/** Refuses any kafkajs but the one the patches were written for. */
export function checkKafkajsVersion(installed: string): void {
  if (installed === PATCHED_KAFKAJS_VERSION) return;
  throw new Error(
    `kafkajs ${installed} is installed; the service's patches (src/kafka/kafkajs/patches) were written for ${PATCHED_KAFKAJS_VERSION}: ` +
      `pin "kafkajs": "${PATCHED_KAFKAJS_VERSION}" in package.json and run npm install, or revise the patches for kafkajs ${installed} and raise PATCHED_KAFKAJS_VERSION.`,
  );
}

/** In the order they go in: the read_committed filter first, as kafkajs's consumer must not have loaded before it. */
const PATCHES: readonly (readonly [name: string, install: () => boolean])[] = [
  ['read-committed', installReadCommittedFilter],
  ['timeout-fix', installTimeoutFix],
  ['record-encoder', installRecordEncoder],
  ['refusal-fix', installRefusalFix],
  ['coordinator-cache', installCoordinatorCache],
];

/** Checks the installed kafkajs, then applies each patch not yet applied; returns the names of those it applied. */
export function applyKafkajsPatches(): string[] {
  const require = createRequire(import.meta.url);
  checkKafkajsVersion((require('kafkajs/package.json') as { version: string }).version);
  return PATCHES.filter(([, install]) => install()).map(([name]) => name);
}
