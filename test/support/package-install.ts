import { spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * The environment for npm and node in a temporary app outside the repository: without the npm_*
 * variables `npm test` sets for this repository (workspace, prefix, ...), keeping the user's npm
 * cache and registry.
 */
export function outsideRepoEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith('npm_') || /^npm_config_(cache|registry|userconfig)$/i.test(key))
      env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion; rejects with its output when it exits non-zero or times out. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? outsideRepoEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) return resolve({ stdout, stderr, ms });
      const how = signal ? `was killed (${signal}) after ${ms} ms` : `exited with ${code}`;
      reject(new Error(`${command} ${args.join(' ')} in ${options.cwd} ${how}\n${stdout}\n${stderr}`.trim()));
    });
  });
}
