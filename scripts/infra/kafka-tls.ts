import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// TLS material of the secure local broker, made with the JDK's keytool (always
// there with the Java that runs Kafka; openssl is not everywhere): a private CA, a broker
// certificate it signs for 127.0.0.1 and localhost, the broker's PKCS12 key and
// trust stores, and the CA as PEM for Node clients. Made once, reused, and
// made afresh when a file is missing or a certificate is about to expire.

export interface BrokerTls {
  /** The CA certificate (PEM) that clients verify the broker with. */
  caFile: string;
  /** PKCS12: the broker's key and its certificate chain (broker, CA). */
  keystore: string;
  /** PKCS12: the CA, which the broker trusts when it connects to itself. */
  truststore: string;
  /** Password of both stores and of the key in them. */
  storePassword: string;
}

const CA_DAYS = 3650;
const BROKER_DAYS = 825;
const RENEW_WITHIN_MS = 7 * 24 * 60 * 60 * 1000;
/** Both names a client may dial; Node and Java check the one dialled against these. */
const BROKER_NAMES = 'SAN=ip:127.0.0.1,dns:localhost';
/** keytool reads the store password from this variable, so it never shows in a process list. */
const PASSWORD_VARIABLE = 'KAFKA_TLS_STORE_PASSWORD';

const tlsFiles = (dir: string) => ({
  caStore: join(dir, 'ca.p12'),
  caPem: join(dir, 'ca.pem'),
  brokerPem: join(dir, 'broker.pem'),
  keystore: join(dir, 'broker.keystore.p12'),
  truststore: join(dir, 'broker.truststore.p12'),
  storePassword: join(dir, 'store.password'),
});

/** Where `ensureBrokerTls(dir)` puts the CA certificate for clients. */
export const caFileIn = (dir: string): string => tlsFiles(dir).caPem;

/** The broker's TLS material in `dir`, generated first when missing or expiring. */
export async function ensureBrokerTls(dir: string): Promise<BrokerTls> {
  if (!isUsable(dir)) await generateInto(dir);
  const files = tlsFiles(dir);
  return {
    caFile: files.caPem,
    keystore: files.keystore,
    truststore: files.truststore,
    storePassword: readFileSync(files.storePassword, 'utf8'),
  };
}

/** Writes `text` readable by its owner only (also when the file existed with a looser mode). */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function isUsable(dir: string): boolean {
  const files = tlsFiles(dir);
  if (!Object.values(files).every((path) => existsSync(path))) return false;
  const expiresIn = (pem: string) => Date.parse(new X509Certificate(readFileSync(pem)).validTo) - Date.now();
  return expiresIn(files.caPem) > RENEW_WITHIN_MS && expiresIn(files.brokerPem) > RENEW_WITHIN_MS;
}

/** Generates in a private folder and renames it into place, so a half-made set is never used. */
async function generateInto(dir: string): Promise<void> {
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(dirname(partial), { recursive: true });
  mkdirSync(partial, { mode: 0o700 });
  try {
    await generate(partial);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
}

async function generate(dir: string): Promise<void> {
  const files = tlsFiles(dir);
  const password = randomBytes(18).toString('base64url');
  writePrivateFile(files.storePassword, password);
  const keytool = (...args: string[]) => runKeytool(args, password);
  const store = (path: string) => ['-keystore', path, '-storetype', 'PKCS12', '-storepass:env', PASSWORD_VARIABLE];
  const ecKey = ['-keyalg', 'EC', '-groupname', 'secp256r1'];
  const request = join(dir, 'broker.csr');
  const chain = join(dir, 'broker-chain.pem');
  // Two steps at a time where they are independent: each keytool run is mostly JVM start-up.
  await Promise.all([
    keytool(
      '-genkeypair',
      '-alias',
      'ca',
      ...ecKey,
      '-dname',
      'CN=contract-events-service local CA',
      '-validity',
      String(CA_DAYS),
      '-ext',
      'bc:c',
      '-ext',
      'ku:c=keyCertSign,cRLSign',
      ...store(files.caStore),
    ),
    keytool(
      '-genkeypair',
      '-alias',
      'broker',
      ...ecKey,
      '-dname',
      'CN=localhost',
      '-validity',
      String(BROKER_DAYS),
      ...store(files.keystore),
    ),
  ]);
  await Promise.all([
    keytool('-exportcert', '-rfc', '-alias', 'ca', '-file', files.caPem, ...store(files.caStore)),
    keytool('-certreq', '-alias', 'broker', '-file', request, ...store(files.keystore)),
  ]);
  await Promise.all([
    keytool(
      '-gencert',
      '-alias',
      'ca',
      '-infile',
      request,
      '-outfile',
      files.brokerPem,
      '-rfc',
      '-validity',
      String(BROKER_DAYS),
      '-ext',
      BROKER_NAMES,
      '-ext',
      'ku:c=digitalSignature',
      '-ext',
      'eku=serverAuth,clientAuth',
      ...store(files.caStore),
    ),
    keytool('-importcert', '-noprompt', '-alias', 'ca', '-file', files.caPem, ...store(files.truststore)),
  ]);
  // The signed certificate and the CA's after it (the chain) replace the broker's self-signed one.
  writeFileSync(chain, readFileSync(files.brokerPem, 'utf8') + readFileSync(files.caPem, 'utf8'));
  await keytool('-importcert', '-noprompt', '-alias', 'broker', '-file', chain, ...store(files.keystore));
  rmSync(request);
  rmSync(chain);
}

function runKeytool(args: string[], password: string): Promise<void> {
  return new Promise((done, fail) => {
    // A short-lived tool: the quick JIT tier starts faster.
    const child = spawn('keytool', ['-J-XX:TieredStopAtLevel=1', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [PASSWORD_VARIABLE]: password },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => fail(new Error(`The secure Kafka broker needs keytool (JDK): ${error.message}`)));
    child.once('close', (code) => {
      if (code === 0) done();
      else fail(new Error(`keytool ${args[0]} failed (exit ${code}):\n${output.trim()}`));
    });
  });
}
