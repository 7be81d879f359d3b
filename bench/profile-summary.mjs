// Summarises a `node --cpu-prof` profile: self time by module (package, or file of this library),
// and the top functions. `(idle)` is time waiting on I/O; percentages are of the busy time.
//   node bench/profile-summary.mjs bench/profiles/CPU.<...>.cpuprofile [--top 25] [--from deserializer]
// --from: counts only the samples from the first one in a function whose URL contains this text
// (e.g. `deserializer`: from the first record on, leaving out startup and module loading).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, from: { type: 'string' } },
});
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const deltas = profile.timeDeltas;
const start = values.from ? profile.samples.findIndex((id) => byId.get(id).callFrame.url.includes(values.from)) : 0;
profile.samples.forEach((id, i) => {
  if (i >= start) self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
});

function moduleOf(frame) {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : 'node (native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const ours = url.match(/libs\/kafka-consumer\/src\/(.+)$/);
  if (ours) return `ours: ${ours[1]}`;
  if (url.startsWith('node:')) return 'node (js)';
  return url.replace(/^.*\/(bench|test)\//, '$1/');
}

const modules = new Map();
const functions = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  const frame = byId.get(id).callFrame;
  if (frame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  total += us;
  const mod = moduleOf(frame);
  modules.set(mod, (modules.get(mod) ?? 0) + us);
  const fn = `${frame.functionName || '(anonymous)'} ${mod}:${frame.lineNumber + 1}`;
  functions.set(fn, (functions.get(fn) ?? 0) + us);
}
const pct = (us) => ((100 * us) / total).toFixed(1).padStart(5) + '%';
const group = (mod) => (mod.startsWith('ours: ') ? 'ours (all files)' : null);
const grouped = new Map();
for (const [mod, us] of modules) {
  const g = group(mod);
  if (g) grouped.set(g, (grouped.get(g) ?? 0) + us);
}
console.log(`busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`);
console.log('\nself time by module:');
for (const [mod, us] of [...modules, ...grouped].toSorted((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`  ${pct(us)}  ${mod}`);
}
console.log('\ntop functions (self time):');
for (const [fn, us] of [...functions].toSorted((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${fn}`);
