/** What /health/ready reports: each dependency's state, ready only when all are fine. */
export interface ReadinessReport {
  ready: boolean;
  checks: { database: string; kafka: string; consumer: string };
}

export interface ReadinessProbes {
  pingDatabase(): Promise<unknown>;
  pingKafka(): Promise<unknown>;
  consumerStatus(): { running: boolean; healthy: boolean; lastError: string | null };
}

const OK = 'ok';

/** Probes the database and the broker in parallel and combines them with the consumer's own state. */
export function createReadinessCheck(probes: ReadinessProbes): () => Promise<ReadinessReport> {
  const probe = (ping: () => Promise<unknown>) =>
    ping().then(
      () => OK,
      (error: unknown) => `unreachable: ${error instanceof Error ? error.message.trim().split('\n').at(-1) : String(error)}`,
    );
  return async () => {
    const [database, kafka] = await Promise.all([probe(probes.pingDatabase), probe(probes.pingKafka)]);
    const { running, healthy, lastError } = probes.consumerStatus();
    const consumer = !running ? 'not running' : healthy ? 'running' : `retrying: ${lastError}`;
    return { ready: database === OK && kafka === OK && running && healthy, checks: { database, kafka, consumer } };
  };
}
