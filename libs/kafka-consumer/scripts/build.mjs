// Builds the published package from a clean slate: dist/esm (ES modules) and dist/cjs (CommonJS),
// each with its .d.ts files (@internal members stripped) and source maps carrying their sources.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(`${root}dist`, { recursive: true, force: true });
// Both builds at once: they share nothing but the sources.
await Promise.all(
  ['tsconfig.lib.json', 'tsconfig.cjs.json'].map(async (project) => {
    try {
      await promisify(execFile)(process.execPath, [tsc, '-p', `${root}${project}`]);
    } catch (error) {
      process.stderr.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
      throw new Error(`tsc -p ${project} failed`, { cause: error });
    }
  }),
);
// The package is "type": "module"; this marks the files under dist/cjs as CommonJS for Node and TypeScript.
writeFileSync(`${root}dist/cjs/package.json`, `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
// The CommonJS build reports its own format to the dual-package guard.
const formatFile = `${root}dist/cjs/build-format.js`;
const compiled = readFileSync(formatFile, 'utf8');
if (!compiled.includes("BUILD_FORMAT = 'esm'")) throw new Error(`${formatFile}: BUILD_FORMAT not found`);
writeFileSync(formatFile, compiled.replace("BUILD_FORMAT = 'esm'", "BUILD_FORMAT = 'cjs'"));
rmSync(`${root}dist/esm.tsbuildinfo`, { force: true });
