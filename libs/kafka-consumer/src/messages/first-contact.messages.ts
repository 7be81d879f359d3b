import { redactSecrets } from '../kafka-consumer.redaction.js';
import { describeError } from './message-parts.js';

// First contact with the brokers: unreachable, TLS, SASL, authorization, missing topics.

/** A topic a handler consumes, for first-contact messages. */
export interface ConsumedTopicRef {
  readonly topic: string;
  readonly groupId: string;
  readonly handler: string;
}

const consumedTopics = (refs: readonly ConsumedTopicRef[]): string =>
  refs.map(({ topic, groupId, handler }) => `"${topic}" (${handler}, group "${groupId}")`).join(', ');

/** `client.brokers` for messages: the host:port list, or where it comes from when it is a function. */
export const describeBrokers = (brokers: unknown): string =>
  Array.isArray(brokers)
    ? brokers.map((b) => redactSecrets(String(b))).join(', ')
    : '(from the client.brokers function)';

export const brokersNotReachableYet = (brokers: string, timeoutMs: number, error: unknown): string =>
  `Cannot reach the Kafka brokers ${brokers} yet (${describeError(error)}); retrying for up to ${timeoutMs} ms ` +
  `(brokerStartupTimeoutMs).`;

export const brokersUnreachable = (
  brokers: string,
  timeoutMs: number,
  refs: readonly ConsumedTopicRef[],
  error: unknown,
): string =>
  `Cannot reach the Kafka brokers ${brokers}: no answer within brokerStartupTimeoutMs=${timeoutMs} ms ` +
  `(last error: ${describeError(error)}). Not started: ${consumedTopics(refs)}. Check client.brokers (the ` +
  `host:port of a listener the broker advertises) and that the broker is running; if that listener uses TLS, ` +
  `set client.ssl; to wait longer for a broker that is still starting, raise brokerStartupTimeoutMs.`;

export const brokerTlsFailed = (brokers: string, tlsConfigured: boolean, error: unknown): string =>
  `TLS handshake with the Kafka brokers ${brokers} failed: ${describeError(error)}. ` +
  (tlsConfigured
    ? 'client.ssl is set: check that this listener uses TLS (SSL or SASL_SSL, not PLAINTEXT) and that the ' +
      "broker's certificate is trusted (client.ssl.ca) for the host name in client.brokers."
    : 'client.ssl is not set but the connection failed in TLS: set client.ssl for a TLS listener.');

export const brokerAuthenticationFailed = (
  brokers: string,
  mechanism: string | undefined,
  protocolType: string | undefined,
  error: unknown,
): string =>
  protocolType === 'ILLEGAL_SASL_STATE' || protocolType === 'UNSUPPORTED_SASL_MECHANISM'
    ? `SASL ${mechanism ?? ''} authentication with the Kafka brokers ${brokers} is not possible (${protocolType}): ` +
      `the listener at that address does not accept this mechanism, or does not use SASL at all. Use the port of the ` +
      `SASL_PLAINTEXT / SASL_SSL listener with a mechanism it enables, or remove client.sasl for a PLAINTEXT listener.`
    : `The Kafka brokers ${brokers} rejected SASL ${mechanism ?? ''} authentication: ${describeError(error)}. ` +
      `Check the username and password (or token) in client.sasl and that the broker knows this user for this mechanism.`;

export const topicsNotAuthorized = (brokers: string, refs: readonly ConsumedTopicRef[], error: unknown): string =>
  `The Kafka brokers ${brokers} deny this client access to ${consumedTopics(refs)}: ${describeError(error)}. Grant ` +
  `the client's principal DESCRIBE and READ on each topic and READ on each group ` +
  `(kafka-acls.sh --add --allow-principal User:<name> --operation Read --operation Describe --topic <topic> --group <group>).`;

export const topicsMissing = (brokers: string, refs: readonly ConsumedTopicRef[]): string =>
  `Topic(s) consumed by handlers do not exist on ${brokers}: ${consumedTopics(refs)}. Create them ` +
  `(kafka-topics.sh --bootstrap-server <broker> --create --topic <name> --partitions <n>), or set ` +
  `missingTopics: 'create' to create them at startup, or missingTopics: 'wait' to start consuming once they exist.`;

export const waitingForTopics = (refs: readonly ConsumedTopicRef[], waitedMs: number): string =>
  `Waiting for topic(s) to exist before consuming (missingTopics: 'wait', ${Math.round(waitedMs / 1000)} s so far): ` +
  `${consumedTopics(refs)}. listen() resolves once every one exists.`;

export const topicsCreated = (topics: readonly string[]): string =>
  `Created missing topic(s) ${topics.map((t) => `"${t}"`).join(', ')} with the broker's default partition count and ` +
  `replication factor (missingTopics: 'create').`;
