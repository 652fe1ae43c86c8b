// Set on what a patch installs, so that applying it again finds it there.
// Symbol.for is one symbol however often this module is loaded (a test runner
// loads modules afresh per file, while kafkajs's require cache persists).
const PATCH = Symbol.for('contract-events-service.kafkajs-patch');

export function isPatched(value: unknown): boolean {
  return typeof value === 'function' && (value as { [PATCH]?: boolean })[PATCH] === true;
}

export function markPatched<T extends object>(value: T): T {
  return Object.assign(value, { [PATCH]: true });
}
