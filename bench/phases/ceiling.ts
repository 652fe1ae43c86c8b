import { log, nameFor, type BenchContext } from '../context.js';
import { lastVisible, throughputFrom, waitForGroup, type Throughput } from '../measure/throughput.js';

/** (a) The ceiling: a bare kafkajs consumer forwarding every event to an output topic, no database. */
export async function runCeiling(context: BenchContext): Promise<Throughput> {
  const { kafka, options, dataset } = context;
  const output = nameFor(context, 'ceiling_out');
  await kafka.createTopics([output], options.partitions, { appendTime: true });
  context.createdTopics.push(output);
  const groupId = nameFor(context, 'ceiling');
  const forwarder = await kafka.forward({
    groupId,
    from: context.inputTopic,
    to: output,
    concurrency: options.partitions,
  });
  const joinedAt = await forwarder.joinedAt;
  // kafkajs commits a batch's offsets once its eachBatch (the forward) resolved.
  await waitForGroup(kafka, groupId, context.inputTopic, { timeoutMs: 300_000 });
  await forwarder.stop();
  const { records } = await kafka.readAll(output, dataset.messages.length, 120_000);
  if (records.length !== dataset.messages.length)
    log(`ceiling: ${records.length} records on ${output}, ${dataset.messages.length} expected`);
  const result = throughputFrom(joinedAt, lastVisible(records), records.length);
  log(`ceiling: ${result.events} events in ${result.seconds} s = ${result.events_per_s} events/s`);
  return result;
}
