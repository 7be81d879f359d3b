/** Base class of every error this package throws: a stable `code`, a message that says what to do, and `cause`. */
export class KafkaConsumerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
