/**
 * Start-up: wall time and peak memory of the built CLI against `node -e 0`, as ratios of medians.
 * `pebbleflow run` of a one-task flow (a Log) and `pebbleflow validate` of the same file, each run
 * in a fresh process, interleaved with the baseline so load from elsewhere hits all alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'pebbleflow.js');
const TIME = '/usr/bin/time';

export interface StartupRow {
  name: string;
  medianMs: number;
  ratio: number;
  peakMiB: number | null;
  peakRatio: number | null;
}

interface Sample {
  ms: number;
  kib: number | null;
}

/** One fresh process: its wall time, and its peak resident memory when GNU time is there. */
function measure(args: string[], cwd: string): Sample {
  const useTime = existsSync(TIME);
  const started = process.hrtime.bigint();
  const r = useTime
    ? spawnSync(TIME, ['-f', '%M', process.execPath, ...args], { cwd, encoding: 'utf8' })
    : spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  const kib = useTime ? Number(r.stderr.trim().split('\n').pop()) : null;
  return { ms, kib: kib !== null && Number.isFinite(kib) ? kib : null };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function benchStartup(rounds = 15): StartupRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'pebbleflow-startup-'));
  try {
    writeFileSync(
      join(dir, 'hello.yaml'),
      'id: hello\nnamespace: company.team\ntasks:\n  - id: log\n    type: io.kestra.plugin.core.log.Log\n    message: Hello {{ flow.id }}\n',
    );
    const contenders: Record<string, string[]> = {
      'node -e 0': ['-e', '0'],
      'pebbleflow run hello.yaml': [cli, 'run', 'hello.yaml'],
      'pebbleflow validate hello.yaml': [cli, 'validate', 'hello.yaml'],
    };
    const samples: Record<string, Sample[]> = {};
    for (let i = 0; i < 2; i++) for (const args of Object.values(contenders)) measure(args, dir); // warm the file cache
    for (let i = 0; i < rounds; i++) for (const [name, args] of Object.entries(contenders)) (samples[name] ??= []).push(measure(args, dir));
    const base = samples['node -e 0']!;
    const baseMs = median(base.map((s) => s.ms));
    const baseKib = base[0]!.kib === null ? null : median(base.map((s) => s.kib!));
    return Object.entries(samples).map(([name, s]) => {
      const ms = median(s.map((x) => x.ms));
      const kib = s[0]!.kib === null ? null : median(s.map((x) => x.kib!));
      return {
        name,
        medianMs: ms,
        ratio: ms / baseMs,
        peakMiB: kib === null ? null : kib / 1024,
        peakRatio: kib === null || baseKib === null ? null : kib / baseKib,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStartupTable(rows: StartupRow[]): string {
  const lines = ['| command | median wall time | vs node -e 0 | peak memory | vs node -e 0 |', '|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const mem = r.peakMiB === null ? 'n/a' : `${r.peakMiB.toFixed(0)} MiB`;
    const memRatio = r.peakRatio === null ? 'n/a' : `${r.peakRatio.toFixed(2)}×`;
    lines.push(`| ${r.name} | ${r.medianMs.toFixed(0)} ms | ${r.ratio.toFixed(2)}× | ${mem} | ${memRatio} |`);
  }
  return lines.join('\n');
}
