import { log, nameFor, type BenchContext } from '../context.js';
import { lastTimestamp, throughputFrom, waitForTopicSize, type Throughput } from '../measure/throughput.js';

/** (a) The ceiling: a bare kafkajs consumer forwarding every event to an output topic, no database. */
export async function runCeiling(context: BenchContext): Promise<Throughput> {
  const { kafka, options, dataset } = context;
  const output = nameFor(context, 'ceiling_out');
  await kafka.createTopics([output], options.partitions);
  context.createdTopics.push(output);
  const forwarder = await kafka.forward({ groupId: nameFor(context, 'ceiling'), from: context.inputTopic, to: output, concurrency: options.partitions });
  const joinedAt = await forwarder.joinedAt;
  await waitForTopicSize(kafka, output, dataset.messages.length, { timeoutMs: 300_000 });
  await forwarder.stop();
  const records = await kafka.readAll(output, dataset.messages.length, 120_000);
  const result = throughputFrom(joinedAt, lastTimestamp(records), records.length);
  log(`ceiling: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s`);
  return result;
}
