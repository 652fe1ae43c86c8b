import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { applyKafkajsPatches } from './patches/index.js';

// kafkajs as the service runs it: patched (./patches) before it loads. The
// one module that loads kafkajs; eslint.config.js forbids importing it
// anywhere else, type-only imports aside.

applyKafkajsPatches();
const kafkajs = createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;

export const {
  Kafka,
  logLevel,
  Partitioners,
  CompressionTypes,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} = kafkajs;
export const {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} = kafkajs;
