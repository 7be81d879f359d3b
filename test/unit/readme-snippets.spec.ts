import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Every ```ts snippet of README.md, type-checked as its own module against the package (the
// tsconfig.json paths map `nestjs-kafka-consumer` to the sources): what users paste compiles.
// Relative imports (`./app.module.js`) name the reader's own files: they are left unresolved.
const repo = fileURLToPath(new URL('../../', import.meta.url));

interface Snippet {
  line: number;
  code: string;
}

export function tsSnippets(markdown: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    snippets.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return snippets;
}

function typeCheck(snippets: Snippet[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    `${repo}tsconfig.json`,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  // Virtual files next to the tests, so packages resolve from the repository's node_modules.
  const files = new Map(
    snippets.map((s) => [`${repo}test/unit/readme-snippet-line-${s.line}.ts`, `${s.code}\nexport {};\n`]),
  );
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => files.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    const text = files.get(name);
    return text === undefined
      ? getSourceFile.call(host, name, languageVersion, ...rest)
      : ts.createSourceFile(name, text, languageVersion, true);
  };
  const program = ts.createProgram({
    rootNames: [...files.keys()],
    options: { ...config.options, noEmit: true },
    host,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.has(d.file.fileName))
    .filter((d) => !(d.code === 2307 && /'\.\.?\//.test(ts.flattenDiagnosticMessageText(d.messageText, '\n'))))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const snippetLine = Number(/readme-snippet-line-(\d+)/.exec(d.file!.fileName)![1]);
      return `README.md:${snippetLine + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('README.md TypeScript snippets', () => {
  it('finds the snippets and each compiles against the package as pasted', () => {
    const snippets = tsSnippets(readFileSync(`${repo}README.md`, 'utf8'));
    expect(snippets.length).toBeGreaterThan(5);
    expect(typeCheck(snippets)).toEqual([]);
  }, 120_000);
});
