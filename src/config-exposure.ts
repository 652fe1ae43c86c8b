import { isIP } from 'node:net';
import type { Config } from './config-schema.js';

// Whether the API can be reached from other machines, and what follows from it.

const LOOPBACK_NAMES = new Set(['localhost', 'ip6-localhost', 'ip6-loopback']);

/** True when only this machine can reach the address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (LOOPBACK_NAMES.has(bare)) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(bare);
}

/**
 * Whether reads ask for a token even without API_READ_TOKEN: on an address
 * other machines reach they show contracts, audited events with their Kafka
 * positions and who deleted what, unless ALLOW_ANONYMOUS_READS says otherwise.
 */
export function readsNeedToken(config: Config): boolean {
  return !isLoopbackHost(config.HTTP_HOST) && !config.ALLOW_ANONYMOUS_READS;
}

/** A line for the log at start-up for each setting that opens the API on purpose. */
export function exposureWarnings(config: Config): string[] {
  const host = config.HTTP_HOST;
  const beyondLoopback = !isLoopbackHost(host);
  const warnings: string[] = [];
  if (config.ALLOW_UNAUTHENTICATED_HTTP) {
    warnings.push(
      beyondLoopback && config.API_TOKEN === undefined
        ? `ALLOW_UNAUTHENTICATED_HTTP=true: the API on ${host} asks for no token; anyone who reaches it may create and delete contracts, decide events and read everything`
        : 'ALLOW_UNAUTHENTICATED_HTTP=true: no effect while API_TOKEN is set or HTTP_HOST is loopback, but it would open the API on another address without API_TOKEN',
    );
  }
  if (config.ALLOW_ANONYMOUS_READS && beyondLoopback) {
    warnings.push(
      `ALLOW_ANONYMOUS_READS=true: reads on ${host} ask for no token; anyone who reaches it may read contracts, timelines, audited events with their Kafka positions and deletion history`,
    );
  }
  return warnings;
}
