import { describeError } from '../kafka-consumer.messages.js';
import {
  KAFKA_CONSUMER_EVENT_NAMES,
  type KafkaConsumerEventListener,
  type KafkaConsumerEventName,
  type KafkaConsumerEvents,
} from './consumer-events.js';

type AnyListener = (payload: never) => void | Promise<void>;

/**
 * The one internal event stream of the consumer groups: `on()`, `@OnConsumerEvent`, `status` and
 * metrics all subscribe here. Emitters ask `listening(event)` first, so a record costs nothing
 * (no payload built) for an event nobody listens to. A listener that throws or rejects is
 * logged, never propagated into the consumer.
 */
export class ConsumerEventBus {
  private readonly listeners = new Map<KafkaConsumerEventName, AnyListener[]>();

  constructor(private readonly logError: (message: string) => void) {}

  /** Adds `listener` for `event`; returns the function that removes it. */
  on<E extends KafkaConsumerEventName>(event: E, listener: KafkaConsumerEventListener<E>): () => void {
    if (!KAFKA_CONSUMER_EVENT_NAMES.includes(event)) {
      throw new TypeError(
        `Unknown consumer event "${String(event)}"; one of: ${KAFKA_CONSUMER_EVENT_NAMES.map((e) => `'${e}'`).join(', ')}`,
      );
    }
    // Copy on write: an emit in progress keeps iterating the list it started with.
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as AnyListener]);
    return () => {
      const remaining = (this.listeners.get(event) ?? []).filter((l) => l !== listener);
      if (remaining.length > 0) this.listeners.set(event, remaining);
      else this.listeners.delete(event);
    };
  }

  /** True when something listens to `event`: check before building a payload on a hot path. */
  listening(event: KafkaConsumerEventName): boolean {
    return this.listeners.has(event);
  }

  emit<E extends KafkaConsumerEventName>(event: E, payload: KafkaConsumerEvents[E]): void {
    const listeners = this.listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        const result = (listener as KafkaConsumerEventListener<E>)(payload);
        if (result instanceof Promise) result.catch((error: unknown) => this.failed(event, error));
      } catch (error) {
        this.failed(event, error);
      }
    }
  }

  private failed(event: string, error: unknown): void {
    this.logError(`A listener of the consumer event "${event}" failed: ${describeError(error)}`);
  }
}
