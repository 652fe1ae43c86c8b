import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafka } from '../../scripts/infra/kafka.js';
import { getFreePorts } from '../../scripts/infra/wait.js';

// A throw-away secure broker (SASL_SSL, SCRAM-SHA-512, a CA of its own) on free
// ports, for tests of what the shared plaintext broker cannot show. Its data,
// certificates and passwords live in a temp folder that goes with it.

export interface SecureKafka {
  brokers: string;
  /** The CA certificate that signed the broker's, as a file and as its PEM text. */
  caFile: string;
  caPem: string;
  username: string;
  password: string;
  /** With `authorizer`: the broker's own user, a super user that may create ACLs. */
  admin?: { username: string; password: string };
  /** Stops the broker and deletes its folder. */
  stop(): Promise<void>;
}

export interface SecureKafkaTestOptions {
  /** KRaft's StandardAuthorizer, no ACL meaning no access: the client user may do only what ACLs grant it. */
  authorizer?: boolean;
}

export async function startSecureKafka(options: SecureKafkaTestOptions = {}): Promise<SecureKafka> {
  const base = mkdtempSync(join(tmpdir(), 'contract-events-secure-kafka-'));
  // If the test run is interrupted, the launcher signals the broker on exit and the folder goes too.
  const removeBase = () => rmSync(base, { recursive: true, force: true });
  process.once('exit', removeBase);
  const [port, controllerPort] = (await getFreePorts(2)) as [number, number];
  const cleanUp = () => {
    removeBase();
    process.off('exit', removeBase);
  };
  try {
    const kafka = await startKafka({
      port,
      controllerPort,
      dataDir: join(base, 'kafka'),
      logFile: join(base, 'kafka.log'),
      secure: { username: 'test-client', tlsDir: join(base, 'tls'), authorizer: options.authorizer ?? false },
    });
    const access = kafka.secure;
    if (!access) {
      await kafka.stop();
      throw new Error('startKafka with `secure` returned no credentials.');
    }
    return {
      brokers: kafka.brokers,
      caFile: access.caFile,
      caPem: readFileSync(access.caFile, 'utf8'),
      username: access.username,
      password: access.password,
      ...(kafka.superUser ? { admin: kafka.superUser } : {}),
      async stop() {
        await kafka.stop();
        cleanUp();
      },
    };
  } catch (error) {
    cleanUp();
    throw error;
  }
}
