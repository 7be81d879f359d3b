import type { LoggerService } from '@nestjs/common';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { BrokerAuthenticationError } from '../errors/broker-authentication.error.js';
import { BrokerTlsError } from '../errors/broker-tls.error.js';
import { BrokersUnreachableError } from '../errors/brokers-unreachable.error.js';
import { MissingTopicError } from '../errors/missing-topic.error.js';
import { TopicAuthorizationError } from '../errors/topic-authorization.error.js';
import {
  brokerAuthenticationFailed,
  brokersNotReachableYet,
  brokersUnreachable,
  brokerTlsFailed,
  describeBrokers,
  topicsCreated,
  topicsMissing,
  topicsNotAuthorized,
  waitingForTopics,
  type ConsumedTopicRef,
} from '../kafka-consumer.messages.js';
import type { MissingTopicsMode } from '../kafka-consumer.options.js';
import { abortableDelay } from '../util/abortable-delay.js';
import { classifyConnectionFailure, protocolErrorType } from './connection-failure.js';

export interface StartupCheckOptions {
  readonly client: KafkaConfig;
  readonly missingTopics: MissingTopicsMode;
  readonly brokerStartupTimeoutMs: number;
  readonly logger: LoggerService;
  /** Aborted by `close()`: stops waiting for brokers or topics. */
  readonly signal: AbortSignal;
}

const RETRY_DELAY_MS = { first: 250, max: 2000 };
const TOPIC_POLL_MS = 1000;
const WAIT_LOG_EVERY_MS = 30_000;

/**
 * First contact, before any group joins: reaches the brokers (retrying while they start, up to
 * `brokerStartupTimeoutMs`), then checks that every consumed topic exists and may be read. Each
 * failure becomes a coded error whose message names the brokers, topics, handlers and groups.
 */
export async function checkStartup(refs: readonly ConsumedTopicRef[], options: StartupCheckOptions) {
  // A client of its own: one attempt per connect (the loop here retries, within the timeout), and
  // kafkajs' per-attempt error lines left out (this check logs what the user needs).
  const kafka = new Kafka({ ...options.client, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const admin = await connectAdmin(kafka, refs, options);
  if (!admin) return;
  try {
    await ensureTopics(admin, refs, options);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A connected admin client (no retries of its own: the loop here decides); null when aborted. */
async function connectAdmin(
  kafka: Kafka,
  refs: readonly ConsumedTopicRef[],
  options: StartupCheckOptions,
): Promise<Admin | null> {
  const { client, brokerStartupTimeoutMs: timeoutMs, logger, signal } = options;
  const brokers = describeBrokers(client.brokers);
  const deadline = Date.now() + timeoutMs;
  let delayMs = RETRY_DELAY_MS.first;
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return admin;
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      throwIfPermanent(error, brokers, refs, client);
      if (Date.now() + delayMs >= deadline) {
        throw new BrokersUnreachableError(
          brokersUnreachable(brokers, timeoutMs, refs, error),
          brokerList(client),
          error,
        );
      }
      if (attempt === 1) logger.warn(brokersNotReachableYet(brokers, timeoutMs, error));
    }
    if (!(await abortableDelay(delayMs, signal))) return null;
    delayMs = Math.min(delayMs * 2, RETRY_DELAY_MS.max);
  }
}

/** TLS, SASL and authorization failures do not fix themselves: no retry. */
function throwIfPermanent(error: unknown, brokers: string, refs: readonly ConsumedTopicRef[], client: KafkaConfig) {
  const kind = classifyConnectionFailure(error);
  if (kind === 'tls') {
    throw new BrokerTlsError(brokerTlsFailed(brokers, Boolean(client.ssl), error), brokerList(client), error);
  }
  if (kind === 'sasl') {
    const mechanism = client.sasl?.mechanism;
    const message = brokerAuthenticationFailed(brokers, mechanism, protocolErrorType(error), error);
    throw new BrokerAuthenticationError(message, brokerList(client), error);
  }
  if (kind === 'authorization') {
    throw new TopicAuthorizationError(topicsNotAuthorized(brokers, refs, error), topicsOf(refs), error);
  }
}

async function ensureTopics(admin: Admin, refs: readonly ConsumedTopicRef[], options: StartupCheckOptions) {
  const { client, missingTopics: mode, logger, signal } = options;
  const brokers = describeBrokers(client.brokers);
  let missing = await missingRefs(admin, refs, brokers);
  if (missing.length === 0) return;
  if (mode === 'fail') throw new MissingTopicError(topicsMissing(brokers, missing), topicsOf(missing));
  if (mode === 'create') {
    const topics = topicsOf(missing);
    // Another member may create them at the same time: createTopics then reports them as existing.
    await admin.createTopics({ topics: topics.map((topic) => ({ topic })), waitForLeaders: true });
    logger.log(topicsCreated(topics));
    return;
  }
  const started = Date.now();
  let loggedAt = 0;
  while (missing.length > 0) {
    if (Date.now() - loggedAt >= WAIT_LOG_EVERY_MS) {
      logger.warn(waitingForTopics(missing, Date.now() - started));
      loggedAt = Date.now();
    }
    if (!(await abortableDelay(TOPIC_POLL_MS, signal))) return;
    missing = await missingRefs(admin, missing, brokers);
  }
}

/**
 * The refs whose topic the broker does not list. A topic this principal may not describe is not
 * listed either: it is asked for by name, and an authorization failure is thrown as such.
 */
async function missingRefs(admin: Admin, refs: readonly ConsumedTopicRef[], brokers: string) {
  const existing = new Set(await admin.listTopics());
  const missing = refs.filter((ref) => !existing.has(ref.topic));
  for (const topic of topicsOf(missing)) {
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      existing.add(topic); // created since the listing
    } catch (error) {
      if (classifyConnectionFailure(error) === 'authorization') {
        const denied = missing.filter((ref) => ref.topic === topic);
        throw new TopicAuthorizationError(topicsNotAuthorized(brokers, denied, error), [topic], error);
      }
    }
  }
  return missing.filter((ref) => !existing.has(ref.topic));
}

const topicsOf = (refs: readonly ConsumedTopicRef[]): string[] => [...new Set(refs.map((ref) => ref.topic))];

const brokerList = (client: KafkaConfig): string[] => (Array.isArray(client.brokers) ? client.brokers.map(String) : []);
