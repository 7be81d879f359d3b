import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokers, KafkaTestKit, unique } from './support/kafka.js';
import { storeFixture, type StoreFixture } from './support/offset-stores.js';
import { outsideRepoEnv, run, type CommandResult } from './support/package-install.js';

// Packs the package as `npm pack` does for a release, then installs it as users would: fresh apps
// in a temporary folder outside the repository, their dependencies from the npm registry (at the
// lowest versions the peer ranges claim; installed while the package is packed), the tarball with
// `npm install <tarball>` (npm checks the peer ranges), compiled by their own tsc, consuming from
// the broker, and tested with their own test runner through `nestjs-kafka-consumer/testing`.
const repo = fileURLToPath(new URL('../', import.meta.url));
const packageDir = `${repo}libs/kafka-consumer`;
const appTemplates = `${repo}test/package-apps`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

const APPS = [
  { name: 'nest12-esm', runner: 'node:test' },
  { name: 'nest11-cjs', runner: 'Jest' },
] as const;

/** Installed version of each dependency the app's package.json names. */
function installedVersions(dir: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).map((name) => {
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return `${name}@${installed.version}`;
  });
}

describe('the packed package, installed in fresh apps', () => {
  const kit = new KafkaTestKit();
  const fixtures: StoreFixture[] = [];
  const timings = new Map<string, string[]>();
  let work = '';
  let tarball = '';

  const step = async (app: string, label: string, command: string, args: string[], env?: Record<string, string>) => {
    const result: CommandResult = await run(command, args, {
      cwd: join(work, app),
      env: outsideRepoEnv(env),
      timeoutMs: 300_000,
    });
    timings.get(app)!.push(`${label} ${(result.ms / 1000).toFixed(1)} s`);
    return result;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nestjs-kafka-consumer-package-'));
    const packing = run('npm', ['pack', '--pack-destination', work], {
      cwd: packageDir,
      env: outsideRepoEnv(),
      timeoutMs: 300_000,
    });
    const preparing = APPS.map(async ({ name }) => {
      timings.set(name, []);
      cpSync(join(appTemplates, name), join(work, name), { recursive: true });
      await step(name, 'install deps', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline']);
    });
    const [pack] = await Promise.all([packing, ...preparing]);
    tarball = join(work, pack.stdout.trim().split('\n').pop()!);
    console.log(`[package] npm pack (build included) ${(pack.ms / 1000).toFixed(1)} s -> ${tarball}`);
  }, 420_000);

  afterAll(async () => {
    await Promise.all(fixtures.splice(0).map((fixture) => fixture.cleanup()));
    await kit.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships ESM and CommonJS builds with types, README, LICENSE and CHANGELOG; no build info, no @internal members, maps with their sources', async () => {
    await run('tar', ['-xzf', tarball, '-C', work], { cwd: work, timeoutMs: 30_000 });
    const root = join(work, 'package');
    const files = filesUnder(root).map((file) => file.slice(root.length + 1));
    for (const required of [
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'package.json',
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/esm/testing/index.js',
      'dist/esm/testing/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/testing/index.js',
      'dist/cjs/testing/index.d.ts',
      'dist/cjs/package.json',
    ]) {
      expect(files, required).toContain(required);
    }
    expect(files.filter((file) => file.endsWith('.tsbuildinfo') || file.includes('.spec.'))).toEqual([]);
    expect(files.filter((file) => file.endsWith('.d.ts.map'))).toEqual([]);
    const declarations = files.filter((file) => file.endsWith('.d.ts'));
    const leaking = declarations.filter((file) => /@internal|setAttempt/.test(readFileSync(join(root, file), 'utf8')));
    expect(leaking).toEqual([]);
    for (const map of files.filter((file) => file.endsWith('.js.map'))) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(root, map), 'utf8')) as {
        sources: string[];
        sourcesContent?: Array<string | null>;
      };
      expect(sourcesContent?.length, map).toBe(sources.length);
      expect(
        sourcesContent?.every((content) => typeof content === 'string' && content.length > 0),
        map,
      ).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(root, 'dist/cjs/package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(readFileSync(join(root, 'CHANGELOG.md'), 'utf8')).toMatch(/^# Changelog\n\n.*0\.1\.0/s);
  });

  for (const app of APPS) {
    it.concurrent(
      `${app.name}: npm install of the tarball, its own tsc, a consumer that reads a record from the broker in three groups (Kafka, PostgreSQL and Redis offset stores), a handler test with ${app.runner} through nestjs-kafka-consumer/testing`,
      async () => {
        await step(app.name, 'install tarball', 'npm', [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          tarball,
        ]);
        const dir = join(work, app.name);
        console.log(`[package] ${app.name} (node ${process.version}): ${installedVersions(dir).join(' ')}`);

        if (app.name === 'nest12-esm') {
          // The dual-package hazard is reported: import (dist/esm) and require (dist/cjs) in one process.
          const both = await step(app.name, 'dual load', process.execPath, [
            '--input-type=module',
            '-e',
            "import 'nestjs-kafka-consumer'; import { createRequire } from 'node:module'; createRequire(import.meta.url)('nestjs-kafka-consumer');",
          ]);
          expect(both.stderr).toContain('NESTJS_KAFKA_CONSUMER_DUAL_PACKAGE');
        }

        await step(app.name, 'tsc', 'npm', ['run', 'build']);
        const tests = await step(app.name, app.runner, 'npm', ['test']);
        expect(`${tests.stdout}\n${tests.stderr}`).toMatch(app.runner === 'Jest' ? /Tests:\s+1 passed/ : /# pass 1/);

        const topic = await kit.createTopic(unique(`package-${app.name}`));
        const group = unique(`package-${app.name}`);
        const postgres = storeFixture('postgres');
        const redis = storeFixture('redis');
        fixtures.push(postgres, redis);
        await kit.produce(topic, [{ key: 'o-7', value: JSON.stringify({ id: 7, quantity: 1 }) }]);
        const consumer = await step(app.name, 'consumer', process.execPath, ['dist/main.js'], {
          KAFKA_BROKERS: brokers().join(','),
          APP_TOPIC: topic,
          APP_GROUP: group,
          APP_PG_TABLE: postgres.options.table,
          APP_REDIS_PREFIX: redis.options.keyPrefix,
        });
        expect(consumer.stderr).not.toContain('NESTJS_KAFKA_CONSUMER_DUAL_PACKAGE');
        const line = consumer.stdout.split('\n').find((l) => l.startsWith('CONSUMED '));
        const received = JSON.parse(line?.slice('CONSUMED '.length) ?? '[]') as Array<{ group: string }>;
        expect(received.map((r) => r.group).toSorted()).toEqual([group, `${group}-pg`, `${group}-redis`]);
        expect(await kit.committed(group, topic)).toEqual({ 0: '1' });
        expect(await postgres.read(`${group}-pg`, topic)).toEqual({ 0: '1' });
        expect(await redis.read(`${group}-redis`, topic)).toEqual({ 0: '1' });
        console.log(`[package] ${app.name}: ${timings.get(app.name)!.join(', ')}`);
      },
      420_000,
    );
  }
});
