import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';

type Heartbeat = (this: unknown, request: { groupId: string }) => Promise<unknown>;

/**
 * Makes kafkajs' heartbeat of the consumer groups `failing(groupId)` names fail with a
 * KafkaJSNonRetriableError, inside kafkajs' own Broker class (the CommonJS module instance kafkajs
 * uses): the consumer's fetch loop crashes as on a real non-retriable broker error. Returns the
 * function that restores the original heartbeat.
 */
export function failHeartbeats(failing: (groupId: string) => boolean): () => void {
  const require = createRequire(import.meta.url);
  const { prototype } = require('kafkajs/src/broker/index.js') as { prototype: { heartbeat: Heartbeat } };
  const heartbeat = prototype.heartbeat;
  prototype.heartbeat = function (this: unknown, request) {
    if (failing(request.groupId)) {
      return Promise.reject(new kafkajs.KafkaJSNonRetriableError('injected heartbeat failure'));
    }
    return heartbeat.call(this, request);
  };
  return () => {
    prototype.heartbeat = heartbeat;
  };
}
