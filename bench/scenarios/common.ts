import 'reflect-metadata';
import { Module, type INestMicroservice, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { KafkaConsumerModule, KafkaConsumerServer } from 'nestjs-kafka-consumer';
/**
 * Shared by the benchmark scenarios: each runs in its own process (so memory figures are its own),
 * consumes `BENCH_COUNT` records of `BENCH_TOPIC` from the beginning in a fresh group, and prints
 * one JSON line `{ scenario, count, ms, cpuMs, rssPeakMb, heapPeakMb, arrayBuffersPeakMb }` on stdout
 * (`cpuMs`: the process's CPU time, all threads, from the first record to the last).
 */
export interface BenchEnv {
  brokers: string[];
  topic: string;
  groupId: string;
  count: number;
  /** Time the handler takes per record (`BENCH_HANDLER_MS`, memory benchmark); 0 when unset. */
  handlerMs: number;
}

export function benchEnv(): BenchEnv {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set (run bench/run.mjs)`);
    return value;
  };
  return {
    brokers: need('BENCH_BROKERS').split(','),
    topic: need('BENCH_TOPIC'),
    groupId: need('BENCH_GROUP'),
    count: Number(need('BENCH_COUNT')),
    handlerMs: Number(process.env.BENCH_HANDLER_MS ?? 0),
  };
}

/** Counts processed records and samples memory; `done` resolves when `count` records were seen. */
export class Meter {
  private seen = 0;
  private started = 0;
  private cpuStarted: NodeJS.CpuUsage | undefined;
  /** CPU time (user + system, all threads) from the first record to the last, in ms. */
  private cpuMs = 0;
  private rssPeak = 0;
  private heapPeak = 0;
  private arrayBuffersPeak = 0;
  private readonly sampler: NodeJS.Timeout;
  private resolveDone!: (ms: number) => void;
  readonly done = new Promise<number>((resolve) => (this.resolveDone = resolve));

  constructor(private readonly count: number) {
    this.sampler = setInterval(() => this.sample(), 100);
  }

  record(): void {
    if (this.seen === 0) {
      this.started = performance.now();
      this.cpuStarted = process.cpuUsage();
    }
    this.seen++;
    if (this.seen === this.count) {
      const cpu = process.cpuUsage(this.cpuStarted);
      this.cpuMs = (cpu.user + cpu.system) / 1000;
      this.sample();
      clearInterval(this.sampler);
      this.resolveDone(performance.now() - this.started);
    }
  }

  /**
   * Memory still held once every record is processed (the consumer idle, still connected), after
   * a full garbage collection; needs `--expose-gc`, else not measured.
   */
  async measureRetained(): Promise<void> {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return;
    // Let the last commits and fetches settle, then collect twice (weak references, finalizers).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    this.retained = { heapMb: heapUsed / 2 ** 20, arrayBuffersMb: arrayBuffers / 2 ** 20 };
  }

  private retained: { heapMb: number; arrayBuffersMb: number } | undefined;

  report(scenario: string, ms: number): void {
    process.stdout.write(
      `${JSON.stringify({ scenario, count: this.count, ms, cpuMs: this.cpuMs, rssPeakMb: this.rssPeak / 2 ** 20, heapPeakMb: this.heapPeak / 2 ** 20, arrayBuffersPeakMb: this.arrayBuffersPeak / 2 ** 20, retained: this.retained })}\n`,
    );
  }

  private sample(): void {
    const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
    this.rssPeak = Math.max(this.rssPeak, rss);
    this.heapPeak = Math.max(this.heapPeak, heapUsed);
    this.arrayBuffersPeak = Math.max(this.arrayBuffersPeak, arrayBuffers);
  }
}

/** The per-record work every scenario does: parse the JSON value and touch a field. */
export function work(value: Buffer | null): number {
  const order = JSON.parse(value!.toString('utf8')) as { id: number };
  return order.id;
}

/** A handler that reads the value and takes `ms` (an I/O call): the memory benchmark's unit of work. */
export async function slowWork(value: Buffer | null, ms: number): Promise<void> {
  void value?.length;
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts this package's consumer as a Nest microservice with `controllers` (the module's defaults,
 * client id `clientId`), errors-only logging; resolves once it listens. Shared by the scenarios.
 */
export async function startConsumerApp(
  controllers: Type<unknown>[],
  brokers: string[],
  clientId = 'bench',
): Promise<INestMicroservice> {
  @Module({ imports: [KafkaConsumerModule.forRoot({ client: { clientId, brokers } })], controllers })
  class AppModule {}
  const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
    inject: [KafkaConsumerServer],
    useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
    logger: ['error'],
  });
  await app.listen();
  return app;
}
