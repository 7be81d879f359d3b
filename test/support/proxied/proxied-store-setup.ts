/**
 * `setupModule` of the child consumer worker (../child-app/consumer-worker.ts) whose broker traffic
 * goes through TCP proxies (../tcp-proxy.ts) a test black-holes, cuts or heals: the offset store of
 * ../crash/store-setup.ts (CRASH_STORE ...) plus a kafkajs `socketFactory` that sends every
 * connection to a broker address listed in WORKER_PROXY_MAP to its proxy instead. Brokers
 * advertise their own addresses; this rewrite is what keeps the member behind its proxy.
 *
 *   WORKER_PROXY_MAP  JSON { "127.0.0.1:9092": "127.0.0.1:41234", ... }
 *   KAFKA_BROKERS     bootstrap addresses (the proxies)
 */
import type { KafkaConsumerModuleOptions } from 'nestjs-kafka-consumer';
import { connect } from 'node:net';
import * as store from '../crash/store-setup.js';

const map = JSON.parse(process.env.WORKER_PROXY_MAP ?? '{}') as Record<string, string>;

export const imports = store.imports;
export const providers = store.providers;
export const moduleOptions: Partial<KafkaConsumerModuleOptions> = {
  ...store.moduleOptions,
  client: {
    clientId: `proxied-worker-${process.pid}`,
    brokers: (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean),
    socketFactory: ({ host, port, onConnect }) => {
      const [toHost, toPort] = (map[`${host}:${port}`] ?? `${host}:${port}`).split(':');
      const socket = connect({ host: toHost, port: Number(toPort) }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
  },
};
