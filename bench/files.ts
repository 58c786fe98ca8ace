/**
 * Files and storage:
 * - `http.Download` of a 200 MB loopback response into the storage: the peak extra memory (RSS above
 *   the level before the download, sampled every 5 ms) must stay under 64 MB, since the body streams
 *   to disk. The server runs in a child process so its buffers are not counted.
 * - a 10 000-row CSV → Ion → JSON chain (CsvToIon then IonToJson, through real files): rows per second.
 * Run alone with `npx tsx bench/files.ts`.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { csvToIon, CSV_TO_ION_DEFAULTS, ionToJson } from '../src/serdes/convert.js';
import { downloadToStorage } from '../src/tasks/http/transfer.js';
import { LocalStorage } from '../src/storage/local-storage.js';
import { RunStorage } from '../src/storage/run-storage.js';
import { nodeHttpFetch } from '../src/tasks/http/node-http.js';

export interface FilesBenchResult {
  downloadBytes: number;
  /** Peak extra RSS of a first, 8 MB download (code not yet warm). */
  coldPeakExtraRssMb: number;
  downloadSeconds: number;
  downloadPeakExtraRssMb: number;
  rssBeforeMb: number;
  chainRows: number;
  chainRowsPerSec: number;
  csvToIonRowsPerSec: number;
  ionToJsonRowsPerSec: number;
}

const SERVER = `
const http = require('node:http');
const chunk = Buffer.alloc(64 * 1024, 120);
const server = http.createServer((req, res) => {
  const size = Number(new URL(req.url, 'http://x').searchParams.get('size'));
  res.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const n = Math.min(chunk.length, size - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once('drain', pump);
    }
    res.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

type DownloadMeasure = Pick<FilesBenchResult, 'downloadBytes' | 'downloadSeconds' | 'downloadPeakExtraRssMb' | 'rssBeforeMb'>;

/** Downloads `size` bytes twice from one server: 8 MB first (code paths warmed up, reported as cold), then the whole size. */
async function benchDownload(dir: string, size: number): Promise<DownloadMeasure & { coldPeakExtraRssMb: number }> {
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const storage = new RunStorage(new LocalStorage(join(dir, 'storage')), {
      tenant: 'main',
      namespace: 'bench',
      flowId: 'download',
      executionId: 'E',
      taskId: 'download',
      taskRunId: 'R',
    });
    const cold = await measureDownload(storage, `http://127.0.0.1:${port}/warm.bin?size=${8 * 1024 * 1024}`, 8 * 1024 * 1024);
    const warm = await measureDownload(storage, `http://127.0.0.1:${port}/big.bin?size=${size}`, size);
    return { ...warm, coldPeakExtraRssMb: cold.downloadPeakExtraRssMb };
  } finally {
    server.kill();
  }
}

async function measureDownload(storage: RunStorage, uri: string, size: number): Promise<DownloadMeasure> {
  {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const started = performance.now();
    const result = await downloadToStorage(
      storage,
      nodeHttpFetch,
      {
        uri,
        method: 'GET',
        headers: {},
        followRedirects: true,
        readIdleTimeoutMs: 60_000,
        failOnEmptyResponse: true,
        allowFailed: false,
        signal: new AbortController().signal,
      },
      () => undefined,
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (result.length !== size) throw new Error(`downloaded ${result.length} bytes, expected ${size}`);
    return {
      downloadBytes: size,
      downloadSeconds: seconds,
      downloadPeakExtraRssMb: (peak - before) / 1024 / 1024,
      rssBeforeMb: before / 1024 / 1024,
    };
  }
}

async function benchChain(
  dir: string,
  rows: number,
): Promise<Pick<FilesBenchResult, 'chainRows' | 'chainRowsPerSec' | 'csvToIonRowsPerSec' | 'ionToJsonRowsPerSec'>> {
  const lines = ['order_id,customer_name,customer_email,product_id,price,quantity,total'];
  for (let i = 1; i <= rows; i++)
    lines.push(
      `${i},"Customer ${i}, Jr",customer${i}@example.com,${i % 20},${(i % 997) / 7},${1 + (i % 5)},${((i % 997) / 7) * (1 + (i % 5))}`,
    );
  const csv = join(dir, 'orders.csv');
  await writeFile(csv, `${lines.join('\n')}\n`);
  const ion = join(dir, 'orders.ion');
  const json = join(dir, 'orders.jsonl');
  // Warm-up, then measure.
  await csvToIon(createReadStream(csv), ion, CSV_TO_ION_DEFAULTS, () => undefined);
  await ionToJson(createReadStream(ion), json, { newLine: true, charset: 'UTF-8' });
  const t0 = performance.now();
  const n1 = await csvToIon(createReadStream(csv), ion, CSV_TO_ION_DEFAULTS, () => undefined);
  const t1 = performance.now();
  const n2 = await ionToJson(createReadStream(ion), json, { newLine: true, charset: 'UTF-8' });
  const t2 = performance.now();
  if (n1 !== rows || n2 !== rows) throw new Error(`chain converted ${n1}/${n2} rows, expected ${rows}`);
  return {
    chainRows: rows,
    chainRowsPerSec: Math.round(rows / ((t2 - t0) / 1000)),
    csvToIonRowsPerSec: Math.round(rows / ((t1 - t0) / 1000)),
    ionToJsonRowsPerSec: Math.round(rows / ((t2 - t1) / 1000)),
  };
}

export async function benchFiles(downloadSize = 200 * 1024 * 1024, rows = 10_000): Promise<FilesBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-bench-files-'));
  try {
    const download = await benchDownload(dir, downloadSize);
    const chain = await benchChain(dir, rows);
    return { ...download, ...chain };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatFilesTable(r: FilesBenchResult): string {
  return [
    '| measure | value |',
    '|---|---:|',
    `| Download of ${(r.downloadBytes / 1024 / 1024).toFixed(0)} MB (loopback) | ${r.downloadSeconds.toFixed(2)} s (${(r.downloadBytes / 1024 / 1024 / r.downloadSeconds).toFixed(0)} MB/s) |`,
    `| Download: peak RSS above the level before (${r.rssBeforeMb.toFixed(0)} MB) | ${r.downloadPeakExtraRssMb.toFixed(1)} MB (limit 64 MB) |`,
    `| first Download of the process (8 MB, code warming up): peak extra RSS | ${r.coldPeakExtraRssMb.toFixed(1)} MB |`,
    `| CSV → Ion → JSON chain, ${r.chainRows.toLocaleString('en-US')} rows | ${r.chainRowsPerSec.toLocaleString('en-US')} rows/s |`,
    `| CsvToIon alone | ${r.csvToIonRowsPerSec.toLocaleString('en-US')} rows/s |`,
    `| IonToJson alone | ${r.ionToJsonRowsPerSec.toLocaleString('en-US')} rows/s |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchFiles();
  console.log(formatFilesTable(r));
  if (r.downloadPeakExtraRssMb >= 64) process.exitCode = 1;
}
