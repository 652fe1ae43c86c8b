import type { InboundMessage } from './port.js';

/** One header of a consumed message as text (repeated headers joined by commas). */
export function headerText(message: InboundMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String).join(',');
}
