// Child processes for `--compare`: git (short, synchronous) and the bounded long ones (npm ci,
// tsc, cargo, a bench run), each in a process group of its own that a timeout, or this process
// exiting, kills whole (a bench's own children included).
import { execFileSync, spawn } from 'node:child_process';

/** git's trimmed stdout, or the error with git's stderr. */
export function git(args: readonly string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** git's exit status 0 (e.g. `diff --quiet`: no difference). */
export function gitOk(args: readonly string[], cwd: string): boolean {
  try {
    execFileSync('git', args, { cwd, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const live = new Set<number>();
let exitHook = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs `command args` in `cwd`; SIGKILLs its process group after `timeoutMs`. Never rejects for a non-zero exit. */
export function runBounded(
  command: string,
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; onStderr?: (text: string) => void; env?: NodeJS.ProcessEnv },
): Promise<Finished> {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const pid of live) killGroup(pid);
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(d);
    });
    if (child.pid !== undefined) live.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid);
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (child.pid !== undefined) live.delete(child.pid);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** The last lines of a process's output, for an error message. */
export function tail(text: string, lines = 8): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
