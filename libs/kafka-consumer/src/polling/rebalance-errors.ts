/** Broker errors that mean "this member's generation is over": its commit was refused because the group rebalanced. */
const GENERATION_OVER = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

/**
 * True when `error` (or an error in its `cause` chain: kafkajs wraps the broker's error in
 * `KafkaJSNonRetriableError`) says the commit was refused because the group rebalanced.
 */
export function isGenerationOver(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const type = (current as { type?: unknown }).type;
    if (typeof type === 'string' && GENERATION_OVER.has(type)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
