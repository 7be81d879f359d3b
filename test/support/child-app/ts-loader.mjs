// Node module-customization hooks (registered by ./register.mjs) that let a child process run
// TypeScript sources directly: `.ts` files are transpiled on the fly with TypeScript's own
// `transpileModule` (decorators + metadata, as the library is compiled), the package name
// resolves to the library's source, and `./x.js` imports resolve to a sibling `./x.ts`.
// Output is cached on disk by content hash: a cold transpile of the library takes seconds per child.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** TypeScript takes about a second to load: only on a cache miss. */
let typescript;
const typescriptVersion = require('typescript/package.json').version;

const root = new URL('../../../', import.meta.url);
const librarySource = new URL('libs/kafka-consumer/src/', root);
const cacheDir = fileURLToPath(new URL('node_modules/.cache/child-app-ts/', root));

/** Package specifiers served from source (the same mapping as tsconfig `paths` and vitest aliases). */
const packageEntries = new Map([
  ['nestjs-kafka-consumer', new URL('index.ts', librarySource).href],
  ['nestjs-kafka-consumer/testing', new URL('testing/index.ts', librarySource).href],
]);

/** `transpileModule` options; enum-valued ones are set from their names on first use. */
const compilerOptions = {
  module: 'ESNext',
  target: 'ES2023',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  isolatedModules: true,
  inlineSourceMap: true,
  inlineSources: true,
};

export async function resolve(specifier, context, nextResolve) {
  const entry = packageEntries.get(specifier);
  if (entry) return { url: entry, format: 'module', shortCircuit: true };
  const parent = context.parentURL;
  if (
    parent?.startsWith('file:') &&
    parent.endsWith('.ts') &&
    (specifier.startsWith('./') || specifier.startsWith('../')) &&
    specifier.endsWith('.js')
  ) {
    const candidate = new URL(specifier.slice(0, -'.js'.length) + '.ts', parent);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const fileName = fileURLToPath(url);
  return { format: 'module', source: transpile(fileName, readFileSync(fileName, 'utf8')), shortCircuit: true };
}

function transpile(fileName, source) {
  const key = createHash('sha256')
    .update(JSON.stringify([typescriptVersion, compilerOptions, fileName, source]))
    .digest('hex');
  const cached = `${cacheDir}${key}.js`;
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  typescript ??= require('typescript');
  const options = {
    ...compilerOptions,
    module: typescript.ModuleKind[compilerOptions.module],
    target: typescript.ScriptTarget[compilerOptions.target],
  };
  const { outputText } = typescript.transpileModule(source, { compilerOptions: options, fileName });
  // Write-then-rename: children started together may transpile the same file at once.
  mkdirSync(cacheDir, { recursive: true });
  const temporary = `${cached}.${process.pid}.tmp`;
  writeFileSync(temporary, outputText);
  renameSync(temporary, cached);
  return outputText;
}
