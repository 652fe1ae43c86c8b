import type { Admin, Kafka } from 'kafkajs';
import { toKafkaError } from '../kafka-errors.js';
import type { KafkaProbe } from '../port.js';

/** The readiness probe: one metadata request per ping over a connection kept between pings. */
export function createProbe(kafka: Kafka): KafkaProbe {
  let connected: Promise<Admin> | undefined;
  const connect = async () => {
    const admin = kafka.admin();
    await admin.connect().catch(async (error: unknown) => {
      await admin.disconnect().catch(() => undefined);
      throw error;
    });
    return admin;
  };
  const drop = async (connection: Promise<Admin> | undefined) => {
    if (connected === connection) connected = undefined;
    await connection?.then((admin) => admin.disconnect()).catch(() => undefined);
  };
  return {
    async ping() {
      connected ??= connect();
      const connection = connected;
      try {
        await (await connection).describeCluster();
      } catch (error) {
        await drop(connection);
        throw toKafkaError(error);
      }
    },
    close: () => drop(connected),
  };
}
