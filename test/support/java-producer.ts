import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brokers } from './kafka.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const source = fileURLToPath(new URL('./java/RecordProducer.java', import.meta.url));

/** A record for the Java producer; a header whose value is null is written as a Kafka null value. */
export interface JavaRecord {
  partition?: number;
  key: string;
  value: string;
  headers?: Array<[name: string, value: string | null]>;
}

function kafkaJars(): string[] {
  const root = join(repoRoot, '.kafka', 'jars');
  if (!existsSync(root)) return [];
  for (const version of readdirSync(root)) {
    const dir = join(root, version);
    const jars = readdirSync(dir).filter((f) => /^(kafka-clients|slf4j-api)-.*\.jar$/.test(f));
    if (jars.some((f) => f.startsWith('kafka-clients'))) return jars.map((f) => join(dir, f));
  }
  return [];
}

function hasJavac(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, 'javac')));
}

/** Why the Java producer cannot run here, or undefined when it can (javac and the Kafka jars are present). */
export function javaProducerUnavailable(): string | undefined {
  if (!hasJavac()) return 'javac is not on PATH (install a JDK 17+)';
  if (kafkaJars().length === 0)
    return 'no kafka-clients jar under .kafka/jars/<version> (run scripts/kafka/provision.sh)';
  return undefined;
}

/** Timeout of a test that uses the Java producer: compiling and starting a JVM on a loaded machine is slow. */
export const JAVA_TEST_TIMEOUT_MS = 240_000;

let compiled: Promise<string> | undefined;

/** Writes `records` to `topic` with Apache Kafka's Java producer (compiled once per test file). */
export async function produceWithJava(topic: string, records: JavaRecord[]): Promise<void> {
  const classpath = kafkaJars().join(delimiter);
  compiled ??= (async () => {
    const out = mkdtempSync(join(tmpdir(), 'java-producer-'));
    await run('javac', ['-cp', classpath, '-d', out, source]);
    return out;
  })();
  const classes = await compiled;
  const lines = records.map((r) =>
    [
      String(r.partition ?? 0),
      r.key,
      r.value,
      ...(r.headers ?? []).map(([name, value]) => (value === null ? name : `${name}=${value}`)),
    ].join('\t'),
  );
  const child = execFile('java', [
    '-cp',
    `${classes}${delimiter}${classpath}`,
    'RecordProducer',
    brokers().join(','),
    topic,
  ]);
  const done = new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`java producer exited ${code}: ${stderr}`))));
  });
  child.stdin!.end(`${lines.join('\n')}\n`);
  await done;
}
