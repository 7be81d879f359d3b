// Setup module of a consumer-worker child (WORKER_SETUP): its group's consumer crashes on a
// non-retriable kafkajs error once the file CRASH_MARKER_FILE exists; `onCrash: 'exit'`.
import { existsSync } from 'node:fs';
import type { KafkaConsumerModuleOptions } from 'nestjs-kafka-consumer';
import { failHeartbeats } from './heartbeat-failure.js';

const marker = process.env.CRASH_MARKER_FILE;
if (!marker) throw new Error('exit-on-crash-setup: CRASH_MARKER_FILE is required');
failHeartbeats(() => existsSync(marker));

export const moduleOptions: Partial<KafkaConsumerModuleOptions> = { onCrash: 'exit' };
