import { inspect, parseArgs } from 'node:util';
import { createBenchKafka, type RunningConsumer } from './baselines/kafkajs.js';

// One ceiling forwarder in a process of its own, started by client-ceiling.ts
// (`npm run bench:clients`) on the Node.js it measures. It tells its parent
// when its consumer joined the group, forwards until the parent says stop, then
// leaves the group and exits. Measuring is the parent's job, the same for both
// clients. The parent imports types only from here: importing runs it.

export const CLIENTS = ['kafkajs', 'platformatic'] as const;
export type Client = (typeof CLIENTS)[number];

/** Messages over the IPC channel. */
export type FromForwarder = { type: 'joined'; joinedAt: number; node: string };
export type ToForwarder = { type: 'stop' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string' },
      brokers: { type: 'string' },
      group: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      partitions: { type: 'string', default: '6' },
    },
  });
  const { client, brokers, group, from, to } = values;
  if (!CLIENTS.includes(client as Client) || !brokers || !group || !from || !to || !process.send) {
    throw new Error(
      'usage (from client-ceiling.ts, with an IPC channel): ' +
        '--client kafkajs|platformatic --brokers B --group G --from T --to T',
    );
  }
  const send = (message: FromForwarder) => process.send!(message);
  const brokerList = brokers.split(',');
  let running: RunningConsumer;
  if (client === 'kafkajs') {
    const concurrency = Number(values.partitions);
    running = await createBenchKafka(brokerList).forward({ groupId: group, from, to, concurrency });
  } else {
    // Loaded only here: it needs Node.js 22 or later.
    const { forwardWithPlatformatic } = await import('./baselines/platformatic.js');
    running = await forwardWithPlatformatic({
      brokers: brokerList,
      groupId: group,
      from,
      to,
      onFailure: (error) => {
        console.error('[client-forwarder] @platformatic/kafka forwarding failed:', inspect(error, { depth: 6 }));
        process.exit(1);
      },
    });
  }
  send({ type: 'joined', joinedAt: await running.joinedAt, node: process.version });
  process.on('message', (message: ToForwarder) => {
    if (message.type !== 'stop') return;
    // The parent waits for the exit.
    void running.stop().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
