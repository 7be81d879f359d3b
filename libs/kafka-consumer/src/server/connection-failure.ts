/**
 * What kind of first-contact failure a kafkajs error is. Pure: errors are read by their `name`,
 * `type` (Kafka protocol error), `code` and message, along the `cause` / `originalError` chain.
 */
export type ConnectionFailureKind = 'unreachable' | 'tls' | 'sasl' | 'authorization' | 'other';

const SASL_TYPES = new Set(['ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM', 'SASL_AUTHENTICATION_FAILED']);
const AUTHORIZATION_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);
const UNREACHABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
]);
const TLS_TEXT = /\b(TLS|SSL|certificate|self[- ]signed|EPROTO)\b/i;
const TLS_CODE = /^(ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)|EPROTO)/;
const UNREACHABLE_TEXT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\b/;

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and its causes, outermost first (at most 5 deep, cycles cut). */
function chain(error: unknown): ErrorLike[] {
  const links: ErrorLike[] = [];
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && links.length < 5 && !links.includes(current)) {
    links.push(current as ErrorLike);
    const next: unknown = (current as ErrorLike).cause ?? (current as ErrorLike).originalError;
    current = next;
  }
  return links;
}

const text = (link: ErrorLike): string => (typeof link.message === 'string' ? link.message : '');

/** Classifies an error thrown while connecting to the brokers or reading topic metadata at startup. */
export function classifyConnectionFailure(error: unknown): ConnectionFailureKind {
  const links = chain(error);
  const has = (test: (link: ErrorLike) => boolean) => links.some(test);
  if (has((l) => l.name === 'KafkaJSSASLAuthenticationError' || SASL_TYPES.has(String(l.type)))) return 'sasl';
  if (has((l) => AUTHORIZATION_TYPES.has(String(l.type)))) return 'authorization';
  if (has((l) => TLS_CODE.test(String(l.code ?? '')) || TLS_TEXT.test(text(l)))) return 'tls';
  if (has((l) => UNREACHABLE_NAMES.has(String(l.name)) || UNREACHABLE_TEXT.test(text(l)))) return 'unreachable';
  return 'other';
}

/** The protocol error type of an error or its causes (e.g. `TOPIC_AUTHORIZATION_FAILED`); undefined when none. */
export function protocolErrorType(error: unknown): string | undefined {
  const link = chain(error).find((l) => typeof l.type === 'string');
  return link?.type as string | undefined;
}
