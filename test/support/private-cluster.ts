import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { findCoordinator } from './find-coordinator.js';
import { kafkaScript } from './private-broker.js';

/**
 * A three-node KRaft cluster of the test's own (`start.sh --topology cluster` with
 * KAFKA_CLUSTER_PORT on free ports; replication factor 3, min.insync.replicas=2), whose nodes a
 * test stops (SIGTERM), kills (SIGKILL) and restarts while the others run. At most one per test
 * file, started in beforeAll and stopped in afterAll: three JVMs are heavy on a shared machine.
 */
export interface PrivateCluster {
  /** `127.0.0.1:port` of node 1, 2, 3. */
  readonly brokers: string[];
  readonly dataDir: string;
  /** The node id (1..3) listening on `host:port`. */
  nodeOf(address: string): number;
  /** SIGTERM (controlled shutdown) or SIGKILL one node; resolves once its process is gone. */
  stopNode(node: number, signal?: 'TERM' | 'KILL'): Promise<void>;
  /** SIGTERMs every node (a whole-cluster outage); resolves once all are gone. */
  stopAll(): Promise<void>;
  /** Starts every stopped node again; resolves once all three answer. */
  restartStopped(): Promise<void>;
  /** Whether node `node`'s process runs. */
  isRunning(node: number): boolean;
  /** The node coordinating `groupId` (FindCoordinator). */
  coordinatorOf(groupId: string): Promise<number>;
  /** The node leading `topic`'s `partition` (fresh metadata). */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** An admin client on the cluster (connected; disconnected by stop()). */
  admin(): Promise<Admin>;
  stop(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port P with P, P+1, P+10, P+11, P+20, P+21 free. */
async function freeClusterBase(): Promise<number> {
  for (;;) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let free = true;
    for (const offset of [0, 1, 10, 11, 20, 21]) free = free && (await portFree(base + offset));
    if (free) return base;
  }
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const base = await freeClusterBase();
  const dataDir = mkdtempSync(join(tmpdir(), 'kafka-cluster-test-'));
  const env = { KAFKA_CLUSTER_PORT: String(base), KAFKA_DATA_DIR: dataDir, KAFKA_HEAP: '-Xmx384m -Xms384m' };
  const brokers = [0, 1, 2].map((i) => `127.0.0.1:${base + 10 * i}`);
  const kafka = new Kafka({ clientId: 'private-cluster', brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  let adminClient: Admin | undefined;
  const pidOf = (node: number): number | undefined => {
    try {
      return Number(readFileSync(join(dataDir, 'cluster', `node-${node}`, 'pid'), 'utf8').trim());
    } catch {
      return undefined;
    }
  };
  const isRunning = (node: number) => {
    const pid = pidOf(node);
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const admin = async () => {
    if (!adminClient) {
      adminClient = kafka.admin();
      await adminClient.connect();
    }
    return adminClient;
  };
  const stop = async () => {
    await adminClient?.disconnect().catch(() => undefined);
    adminClient = undefined;
    await kafkaScript('stop.sh', ['--topology', 'cluster'], env).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await kafkaScript('start.sh', ['--topology', 'cluster'], env);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    brokers,
    dataDir,
    nodeOf: (address) => brokers.indexOf(address) + 1,
    stopNode: (node, signal = 'TERM') =>
      kafkaScript('stop.sh', ['--topology', 'cluster', '--node', String(node), '--signal', signal], env),
    stopAll: () => kafkaScript('stop.sh', ['--topology', 'cluster'], env),
    restartStopped: () => kafkaScript('start.sh', ['--topology', 'cluster'], env),
    isRunning,
    coordinatorOf: async (groupId) => {
      let last: unknown;
      for (const broker of brokers.filter((b) => isRunning(brokers.indexOf(b) + 1))) {
        try {
          return await findCoordinator(broker, groupId);
        } catch (error) {
          last = error;
        }
      }
      throw new Error(`no running node named the coordinator of ${groupId}: ${String(last)}`);
    },
    leaderOf: async (topic, partition) => {
      const metadata = await (await admin()).fetchTopicMetadata({ topics: [topic] });
      const found = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition);
      if (!found) throw new Error(`no metadata for ${topic}[${partition}]`);
      return found.leader;
    },
    admin,
    stop,
  };
}
