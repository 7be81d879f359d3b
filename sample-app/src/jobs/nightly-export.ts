import 'reflect-metadata';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommitFailedError, KafkaConsumerRegistry, type PolledRecord } from 'nestjs-kafka-consumer';
import { AppModule } from '../app.module.js';
import { GROUPS, TOPICS } from '../config/app-config.js';
import type { OrderDto } from '../orders/order.dto.js';
import { orderTotalCents } from '../orders/order.dto.js';

/**
 * The nightly export: a job, not a handler. It pulls every order not exported yet (its group's
 * committed offset onwards), appends one CSV line per order to EXPORT_FILE, commits and exits.
 * Run it again and it exports only what arrived since. `node sample-app/dist/jobs/nightly-export.js`
 */
const EXPORT_FILE = process.env.EXPORT_FILE ?? 'var/orders-export.csv';
/** How long to wait for the group's partitions, then for more records, before calling it done. */
const IDLE_MS = Number(process.env.EXPORT_IDLE_MS ?? 2000);
const JOIN_TIMEOUT_MS = 30_000;

async function run(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: new ConsoleLogger({ json: process.env.LOG_FORMAT === 'json' }),
  });
  const logger = new Logger('NightlyExport');
  const consumer = app.get(KafkaConsumerRegistry).createPollingConsumer({
    groupId: GROUPS.nightlyExport,
    topics: [TOPICS.orders],
    fromBeginning: true,
  });
  let exported = 0;
  let skipped = 0;
  let totalCents = 0;
  try {
    await consumer.connect();
    const joinDeadline = Date.now() + JOIN_TIMEOUT_MS;
    for (;;) {
      const records = await consumer.poll({ timeoutMs: IDLE_MS, maxMessages: 500 });
      if (records.length === 0) {
        // Empty before the group gave us partitions: still joining. Empty afterwards: all exported.
        if (consumer.assignment().length > 0) break;
        if (Date.now() > joinDeadline)
          throw new Error(`no partition of ${TOPICS.orders} assigned after ${JOIN_TIMEOUT_MS} ms`);
        continue;
      }
      const lines: string[] = [];
      for (const record of records) {
        const order = asOrder(record);
        if (!order) {
          skipped++;
          continue;
        }
        const cents = orderTotalCents(order);
        lines.push(`${order.orderId},${order.customerId},${order.currency},${cents}\n`);
        exported++;
        totalCents += cents;
      }
      await mkdir(dirname(EXPORT_FILE), { recursive: true });
      await appendFile(EXPORT_FILE, lines.join(''));
      try {
        await consumer.commit();
      } catch (error) {
        // Another export took these partitions over: they will be exported (again) by it.
        if (!(error instanceof CommitFailedError)) throw error;
        logger.warn(`partitions moved before the commit: ${JSON.stringify(error.partitions)}`);
      }
    }
    logger.log({ msg: 'nightly export summary', exported, skipped, totalCents, file: EXPORT_FILE });
  } finally {
    await consumer.close();
    await app.close();
  }
}

/** The order in a record, or null for a value that is not a usable order (skipped, as the handlers dead-letter it). */
function asOrder(record: PolledRecord): OrderDto | null {
  const value = record.value as Partial<OrderDto> | null;
  if (!value || typeof value.orderId !== 'string' || !Array.isArray(value.items) || value.items.length === 0)
    return null;
  return value as OrderDto;
}

await run();
