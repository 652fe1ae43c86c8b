import type { AclEntry, Admin } from 'kafkajs';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
} from '../../src/kafka/kafkajs/patched.js';
import { kafkajsSecurity } from '../../src/kafka/kafkajs/security.js';
import type { SecureKafka } from './secure-kafka.js';

// The ACLs docs/security.md's "Kafka ACLs" lists, created on a secure broker started
// with `authorizer: true` through its super user: exactly those, so a test
// over that broker proves the list is enough.

/** One ACL as docs/security.md writes it: an allow rule for a principal on any host. */
export interface Grant {
  resource: 'topic' | 'group' | 'transactional-id';
  name: string;
  pattern: 'literal' | 'prefixed';
  operations: readonly ('Read' | 'Write' | 'Create' | 'Describe' | 'DescribeConfigs')[];
}

export interface ServiceAclNames {
  eventsTopic: string;
  outcomesTopic: string;
  groupId: string;
  /** `KAFKA_TRANSACTIONAL_ID_PREFIX`, which defaults to the group id. */
  transactionalIdPrefix: string;
  /** `User:<name>`. */
  principal: string;
  /** Grant `Create` on both topics, for a service that creates them (default true). */
  createTopics?: boolean;
}

export interface ScriptAclNames {
  eventsTopic: string;
  outcomesTopic: string;
  /** `User:<name>`. */
  principal: string;
}

/** The service's ACLs, as docs/security.md's table lists them. */
export function serviceGrants(names: ServiceAclNames): Grant[] {
  const create = (names.createTopics ?? true) ? (['Create'] as const) : [];
  return [
    { resource: 'topic', name: names.eventsTopic, pattern: 'literal', operations: ['Read', 'Describe', ...create] },
    {
      resource: 'topic',
      name: names.outcomesTopic,
      pattern: 'literal',
      operations: ['Write', 'Describe', 'DescribeConfigs', ...create],
    },
    { resource: 'group', name: names.groupId, pattern: 'prefixed', operations: ['Read', 'Describe'] },
    {
      resource: 'transactional-id',
      name: `${names.transactionalIdPrefix}-`,
      pattern: 'prefixed',
      operations: ['Write', 'Describe'],
    },
  ];
}

/** What `npm run produce` (Write on the events topic) and `npm run outcomes` (Read on the outcome topic and its `outcomes-cli-` groups) need. */
export function scriptGrants(names: ScriptAclNames): Grant[] {
  return [
    { resource: 'topic', name: names.eventsTopic, pattern: 'literal', operations: ['Write'] },
    { resource: 'topic', name: names.outcomesTopic, pattern: 'literal', operations: ['Read'] },
    { resource: 'group', name: 'outcomes-cli-', pattern: 'prefixed', operations: ['Read'] },
  ];
}

export const grantServiceAcls = (secure: SecureKafka, names: ServiceAclNames) =>
  grant(secure, names.principal, serviceGrants(names));
export const grantScriptAcls = (secure: SecureKafka, names: ScriptAclNames) =>
  grant(secure, names.principal, scriptGrants(names));

const RESOURCE = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
};
const PATTERN = { literal: ResourcePatternTypes.LITERAL, prefixed: ResourcePatternTypes.PREFIXED };
const OPERATION = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  Describe: AclOperationTypes.DESCRIBE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
};

/** Creates `grants` for `principal` as the broker's super user. */
export async function grant(secure: SecureKafka, principal: string, grants: readonly Grant[]): Promise<void> {
  const acl: AclEntry[] = grants.flatMap((entry) =>
    entry.operations.map((operation) => ({
      resourceType: RESOURCE[entry.resource],
      resourceName: entry.name,
      resourcePatternType: PATTERN[entry.pattern],
      principal,
      host: '*',
      operation: OPERATION[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  await withSuperUser(secure, (admin) => admin.createAcls({ acl }));
}

const nameOf = (values: object, value: unknown) =>
  Object.entries(values).find(([, v]) => v === value)?.[0] ?? String(value);
const aclLine = (principal: string, operation: number, resourceType: number, pattern: number, name: string) =>
  `${principal} ${nameOf(AclOperationTypes, operation)} ${nameOf(AclResourceTypes, resourceType)}:${nameOf(ResourcePatternTypes, pattern)}:${name}`;

/** `grants` as `listAcls` shows them, sorted. */
export const aclLines = (principal: string, grants: readonly Grant[]): string[] =>
  grants
    .flatMap((entry) =>
      entry.operations.map((operation) =>
        aclLine(principal, OPERATION[operation], RESOURCE[entry.resource], PATTERN[entry.pattern], entry.name),
      ),
    )
    .sort();

/** Every ACL on the broker, as `<principal> <operation> <resource type>:<pattern>:<name>` lines, sorted. */
export async function listAcls(secure: SecureKafka): Promise<string[]> {
  const { resources } = await withSuperUser(secure, (admin) =>
    admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    }),
  );
  return resources
    .flatMap((resource) =>
      resource.acls.map((acl) =>
        aclLine(
          acl.principal,
          acl.operation,
          resource.resourceType,
          resource.resourcePatternType,
          resource.resourceName,
        ),
      ),
    )
    .sort();
}

async function withSuperUser<T>(secure: SecureKafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  if (!secure.admin)
    throw new Error(
      'The secure broker runs without an authorizer: start it with startSecureKafka({ authorizer: true }).',
    );
  const kafka = new Kafka({
    clientId: 'kafka-acls-test',
    brokers: [secure.brokers],
    logLevel: logLevel.NOTHING,
    ...kafkajsSecurity({
      ssl: { ca: secure.caPem, rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', ...secure.admin },
    }),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
