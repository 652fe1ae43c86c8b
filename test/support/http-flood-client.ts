// Run as a child process by http-flood.ts, so that the flood's own work does
// not slow the event loop of the service under test. `clients` keep-alive
// clients each POST /events in a loop, a new event each time (one contract per
// client, every tenth event invalid), until standard input ends; then one JSON
// line of FloodSummary is printed. "flooding" is printed at the first answer.
import { Agent, request } from 'node:http';
import type { FloodOptions, FloodSummary } from './http-flood.js';

const options = JSON.parse(process.env.HTTP_FLOOD_OPTIONS ?? '{}') as FloodOptions;
const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
const summary: FloodSummary = { statuses: {}, failures: {}, slowestMs: 0 };
let stopping = false;
let announced = false;

function post(body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${options.url}/events`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: options.answerWithinMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer in time')));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function event(client: number, sequence: number): string {
  const day = 1 + (sequence % 28);
  return JSON.stringify({
    type: sequence % 2 === 0 ? 'supply_energy_start' : 'supply_energy_end',
    contract_number: `${options.contractPrefix}${client}`,
    date: sequence % 10 === 9 ? '2024-02-30' : `2024-03-${String(day).padStart(2, '0')}`,
    created_at: new Date(Date.UTC(2024, 0, 1) + sequence * 1000).toISOString(),
    event_id: `http:${options.contractPrefix}${client}:${sequence}`,
  });
}

async function runClient(client: number): Promise<void> {
  for (let sequence = 0; !stopping; sequence += 1) {
    const started = Date.now();
    try {
      const status = await post(event(client, sequence));
      summary.statuses[status] = (summary.statuses[status] ?? 0) + 1;
      if (!announced) {
        announced = true;
        process.stdout.write('flooding\n');
      }
    } catch (error) {
      const reason = (error as Error).message;
      summary.failures[reason] = (summary.failures[reason] ?? 0) + 1;
    }
    summary.slowestMs = Math.max(summary.slowestMs, Date.now() - started);
  }
}

process.stdin.resume();
process.stdin.on('end', () => (stopping = true));
await Promise.all(Array.from({ length: options.clients }, (_, client) => runClient(client)));
agent.destroy();
process.stdout.write(`${JSON.stringify(summary)}\n`);
