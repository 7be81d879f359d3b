// prepack: puts the repository's README.md and LICENSE into the package, and CHANGELOG.md made
// from the README's "## Changelog" section (one source for both). postpack (--clean) removes them.
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const files = ['README.md', 'LICENSE', 'CHANGELOG.md'];

if (process.argv.includes('--clean')) {
  for (const file of files) rmSync(`${pkg}${file}`, { force: true });
} else {
  copyFileSync(`${repo}README.md`, `${pkg}README.md`);
  copyFileSync(`${repo}LICENSE`, `${pkg}LICENSE`);
  const readme = readFileSync(`${repo}README.md`, 'utf8');
  const start = readme.search(/^## Changelog\s*$/m);
  if (start < 0) throw new Error('README.md has no "## Changelog" section to publish as CHANGELOG.md');
  const rest = readme.slice(start).split('\n').slice(1);
  const end = rest.findIndex((line) => line.startsWith('## '));
  const section = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim();
  writeFileSync(`${pkg}CHANGELOG.md`, `# Changelog\n\n${section}\n`);
}
