/**
 * Runs one command as a child process in its own process group (Kestra's `Process` task runner):
 * stdout and stderr are read line by line as they come, and a timeout or an abort kills the whole
 * group — the shell and everything it started — so nothing is left running. A guard process kills
 * the group too when pebbleflow itself dies mid-run (SIGKILL, a second Ctrl-C, a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

export interface ProcessSpec {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Aborting kills the process group; the run then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Each complete line of output, without its line end, in arrival order per stream. */
  readonly onLine: (line: string, isStdErr: boolean) => void;
  /** Time between SIGTERM and SIGKILL when killing (default 2 s). */
  readonly killGraceMs?: number;
}

export interface ProcessResult {
  readonly exitCode: number;
  /** The signal that ended the process, if any (exit code is then 128 + its number, as a shell reports it). */
  readonly signal?: NodeJS.Signals;
  readonly pid: number;
}

/** Lines longer than this are cut into pieces (a runaway line must not exhaust memory). */
const MAX_LINE = 16 * 1024 * 1024;

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGPIPE: 13,
  SIGABRT: 6,
};

class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private lastWasCR = false;

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.feed(this.decoder.write(chunk));
  }

  end(): void {
    this.feed(this.decoder.end());
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }

  /** Java's BufferedReader.readLine: LF, CR or CRLF end a line. */
  private feed(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.lastWasCR && i === start) {
        this.lastWasCR = false;
        start = i + 1;
        continue;
      }
      this.lastWasCR = false;
      if (c === 10 || c === 13) {
        this.emit(this.pending + text.slice(start, i));
        this.pending = '';
        start = i + 1;
        if (c === 13) this.lastWasCR = true;
      }
    }
    this.pending += text.slice(start);
    while (this.pending.length > MAX_LINE) {
      this.emit(this.pending.slice(0, MAX_LINE));
      this.pending = this.pending.slice(MAX_LINE);
    }
  }
}

/** Sends a signal to a whole process group; false when the group is already gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True while any process of the group is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills a process group: SIGTERM, then SIGKILL after the grace period if anything is still alive. */
export async function killGroup(pid: number, graceMs = 2000): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  signalGroup(pid, 'SIGKILL');
}

/**
 * The guard: a small shell, in a session of its own, blocked reading a pipe whose other end only
 * this process holds. Whenever this process ends — even by SIGKILL, which no handler sees — the
 * pipe closes and the guard kills the command's group (TERM, then KILL after the grace period).
 * `dismiss` stops it once the group needs no guarding.
 */
interface Guard {
  dismiss(): void;
}

const GUARD_SCRIPT = 'read -r _ignored; kill -TERM -"$1" 2>/dev/null || exit 0; sleep "$2"; kill -KILL -"$1" 2>/dev/null; exit 0';

function startGuard(pgid: number, graceMs: number): Guard {
  let guard: ChildProcess;
  try {
    guard = spawn('/bin/sh', ['-c', GUARD_SCRIPT, 'pebbleflow-guard', String(pgid), String(Math.max(1, Math.ceil(graceMs / 1000)))], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  } catch {
    return { dismiss: () => undefined };
  }
  // Best effort: a guard that cannot start (no /bin/sh) leaves the in-process kill in charge.
  guard.on('error', () => undefined);
  guard.stdin?.on('error', () => undefined);
  // The guard never keeps pebbleflow alive.
  guard.unref();
  (guard.stdin as Socket | null)?.unref();
  let done = false;
  return {
    dismiss(): void {
      if (done) return;
      done = true;
      if (guard.pid !== undefined && guard.exitCode === null && guard.signalCode === null) {
        try {
          process.kill(guard.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      guard.stdin?.destroy();
    },
  };
}

export function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
  const [command, ...args] = spec.argv;
  if (command === undefined) return Promise.reject(new Error('No command to run'));
  if (spec.signal?.aborted === true) {
    const reason: unknown = spec.signal.reason;
    return Promise.reject(reason instanceof Error ? reason : new Error(String(reason)));
  }
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: { ...spec.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    const guard = pid === undefined ? undefined : startGuard(pid, spec.killGraceMs ?? 2000);
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let openStreams = 2;
    let aborted = false;
    let closeTimer: NodeJS.Timeout | undefined;
    const out = new LineSplitter((line) => spec.onLine(line, false));
    const err = new LineSplitter((line) => spec.onLine(line, true));

    const finish = (): void => {
      if (settled || exit === undefined || openStreams > 0) return;
      settled = true;
      clearTimeout(closeTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      // After an abort the guard stays until the kill is complete (see onAbort).
      if (!aborted) guard?.dismiss();
      if (aborted) {
        const reason: unknown = spec.signal?.reason;
        reject(reason instanceof Error ? reason : new Error(reason === undefined ? 'Process killed' : String(reason)));
        return;
      }
      const sig = exit.signal ?? undefined;
      const exitCode = exit.code ?? (sig === undefined ? 1 : 128 + (SIGNAL_NUMBERS[sig] ?? 0));
      resolve({ exitCode, ...(sig === undefined ? {} : { signal: sig }), pid: pid ?? -1 });
    };
    const onAbort = (): void => {
      if (aborted || pid === undefined) return;
      aborted = true;
      void killGroup(pid, spec.killGraceMs).then(() => guard?.dismiss());
    };

    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const streamEnd = (splitter: LineSplitter) => (): void => {
      splitter.end();
      openStreams--;
      finish();
    };
    child.stdout.once('close', streamEnd(out));
    child.stderr.once('close', streamEnd(err));
    child.once('error', (e) => {
      if (settled) return;
      settled = true;
      guard?.dismiss();
      spec.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // A background process that kept stdout open would hold the task forever: once the
      // command is done, give the pipes a moment, then end the group.
      if (openStreams > 0 && pid !== undefined) {
        closeTimer = setTimeout(() => {
          void killGroup(pid, spec.killGraceMs).then(() => {
            child.stdout.destroy();
            child.stderr.destroy();
          });
        }, 2000);
      }
      finish();
    });
    spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
