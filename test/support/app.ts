import type { INestMicroservice, LoggerService, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { KafkaConsumerServer } from 'nestjs-kafka-consumer';

/** A consumer-only Nest microservice built from `metadata`, listening on the Kafka transport. */
export interface ConsumerApp {
  app: INestMicroservice;
  server: KafkaConsumerServer;
  close(): Promise<void>;
}

export async function startConsumerApp(
  metadata: ModuleMetadata,
  options: { logger?: LoggerService } = {},
): Promise<ConsumerApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  moduleRef.useLogger(options.logger ?? (process.env.TEST_LOGS ? console : ['error']));
  const server = moduleRef.get(KafkaConsumerServer);
  const app = moduleRef.createNestMicroservice({ strategy: server });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  try {
    await app.listen();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { app, server, close };
}

/** A logger that keeps every line, for asserting on what users would read. */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  log(message: unknown) {
    this.push('log', message);
  }
  error(message: unknown) {
    this.push('error', message);
  }
  warn(message: unknown) {
    this.push('warn', message);
  }
  debug(message: unknown) {
    this.push('debug', message);
  }
  verbose(message: unknown) {
    this.push('verbose', message);
  }
  has(level: string, fragment: string): boolean {
    return this.lines.some((line) => line.level === level && line.message.includes(fragment));
  }
  private push(level: string, message: unknown) {
    this.lines.push({
      level,
      message: message instanceof Error ? `${message.name}: ${message.message}` : String(message),
    });
    if (process.env.TEST_LOGS) console.log(`[${level}] ${String(message)}`);
  }
}
