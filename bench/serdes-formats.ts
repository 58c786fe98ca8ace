/**
 * The serdes formats beyond CSV/JSON on 100 000 rows of 8 columns (strings, ints, doubles, decimals,
 * dates, timestamps, booleans, nulls), through real files: Ion → Avro → Ion, Ion → Parquet → Ion,
 * Ion → XML → Ion (streamed with `query`), Ion → Excel → Ion. For each step: rows per second and the
 * peak extra RSS (sampled every 5 ms above the level before the step). Run alone with
 * `npx tsx bench/serdes-formats.ts [rows]`.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { avroToIon, ionToAvro, resolveSchema } from '../src/serdes/avro-file.js';
import { AVRO_CONVERTER_DEFAULTS } from '../src/serdes/avro-model.js';
import { FileSink } from '../src/serdes/convert.js';
import { excelToIon, ionRows, ionToExcel } from '../src/serdes/excel.js';
import {
  ION_TO_PARQUET_DEFAULTS,
  ionToParquet,
  parquetToIon,
  type HyparquetModule,
  type HyparquetWriterModule,
} from '../src/serdes/parquet.js';
import { ionToXml, xmlToIon, type SaxesModule } from '../src/serdes/xml.js';

export interface SerdesStep {
  step: string;
  rows: number;
  rowsPerSec: number;
  peakExtraRssMb: number;
  outputMb: number;
}

const SCHEMA = JSON.stringify({
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'customer', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'price', type: 'double' },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
    { name: 'day', type: { type: 'int', logicalType: 'date' } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'paid', type: 'boolean' },
  ],
});

function ionRow(i: number): string {
  const day = new Date(Date.UTC(2024, 0, 1) + (i % 365) * 86_400_000).toISOString().slice(0, 10);
  const email = i % 10 === 0 ? 'null' : `"c${i}@example.com"`;
  return `{id:${i},customer:"Customer ${i}",email:${email},price:${(i % 1000) + 0.25}e0,amount:${i % 100000}.${String(i % 100).padStart(2, '0')},day:${day},at:2024-05-06T07:08:${String(i % 60).padStart(2, '0')}.123Z,paid:${i % 2 === 0}}`;
}

async function measure(step: string, rows: number, out: string, run: () => Promise<unknown>): Promise<SerdesStep> {
  global.gc?.();
  await new Promise((r) => setTimeout(r, 100));
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  let outputMb = 0;
  try {
    outputMb = (await stat(out)).size / 1024 / 1024;
  } catch {
    // several outputs
  }
  return { step, rows, rowsPerSec: rows / seconds, peakExtraRssMb: (peak - before) / 1024 / 1024, outputMb };
}

async function fileOf(path: string) {
  const { open } = await import('node:fs/promises');
  const { size } = await stat(path);
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const h = await open(path);
      try {
        const buf = Buffer.alloc((end ?? size) - start);
        await h.read(buf, 0, buf.length, start);
        return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
      } finally {
        await h.close();
      }
    },
  };
}

export async function benchSerdesFormats(rows = 100_000): Promise<SerdesStep[]> {
  const dir = await mkdtemp(join(tmpdir(), 'pf-bench-serdes-'));
  const out: SerdesStep[] = [];
  const log = (): void => undefined;
  try {
    const avsc = await import('avsc');
    const hp = (await import('hyparquet')) as unknown as HyparquetModule;
    const hpw = (await import('hyparquet-writer')) as unknown as HyparquetWriterModule;
    const saxes = (await import('saxes')) as unknown as SaxesModule;
    const ion = join(dir, 'in.ion');
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) lines.push(ionRow(i));
    await writeFile(ion, `${lines.join('\n')}\n`);
    lines.length = 0;
    const schema = await resolveSchema({ schema: SCHEMA, rowsToScan: 100, reopen: () => Promise.resolve(createReadStream(ion)) });
    const options = { ...AVRO_CONVERTER_DEFAULTS, timeZoneId: 'UTC' };
    const sink = async (path: string, run: (s: FileSink) => Promise<unknown>): Promise<void> => {
      const s = new FileSink(path);
      await run(s);
      await s.close();
    };

    const avro = join(dir, 'out.avro');
    out.push(await measure('Ion → Avro', rows, avro, () => ionToAvro(avsc, createReadStream(ion), avro, schema, options, log)));
    const avroIon = join(dir, 'avro.ion');
    out.push(await measure('Avro → Ion', rows, avroIon, () => avroToIon(avsc, avro, avroIon, 'ERROR', log)));
    const parquet = join(dir, 'out.parquet');
    out.push(
      await measure('Ion → Parquet (GZIP)', rows, parquet, () =>
        ionToParquet(hpw, createReadStream(ion), parquet, schema, options, { ...ION_TO_PARQUET_DEFAULTS }, log),
      ),
    );
    const parquetIon = join(dir, 'parquet.ion');
    out.push(await measure('Parquet → Ion', rows, parquetIon, async () => parquetToIon(hp, await fileOf(parquet), parquetIon)));
    const xml = join(dir, 'out.xml');
    out.push(
      await measure('Ion → XML', rows, xml, () =>
        sink(xml, (s) => ionToXml(createReadStream(ion), s, { rootName: 'items', timeZoneId: 'UTC' })),
      ),
    );
    const xmlIon = join(dir, 'xml.ion');
    out.push(
      await measure('XML → Ion (query)', rows, xmlIon, () =>
        sink(xmlIon, (s) => xmlToIon(saxes, createReadStream(xml), s, { charset: 'UTF-8', query: '/items/item', forceList: [] })),
      ),
    );
    const xlsx = join(dir, 'out.xlsx');
    out.push(
      await measure('Ion → Excel', rows, xlsx, () =>
        ionToExcel([{ title: 'Sheet', rows: ionRows(createReadStream(ion)) }], xlsx, {
          header: true,
          styles: true,
          dateFormat: 'yyyy-MM-dd',
          timeZoneId: 'UTC',
        }),
      ),
    );
    let n = 0;
    out.push(
      await measure('Excel → Ion', rows, '', () =>
        excelToIon(
          saxes,
          xlsx,
          {
            sheetsTitle: [],
            valueRender: 'UNFORMATTED_VALUE',
            dateTimeRender: 'UNFORMATTED_VALUE',
            header: true,
            skipEmptyRows: false,
            skipRows: 0,
          },
          () => Promise.resolve(join(dir, `x${n++}.ion`)),
        ),
      ),
    );
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatSerdesTable(steps: SerdesStep[]): string {
  const lines = ['serdes formats (100k rows, 8 columns)', '| step | rows/s | peak extra RSS | output |', '| --- | ---: | ---: | ---: |'];
  for (const s of steps)
    lines.push(
      `| ${s.step} | ${Math.round(s.rowsPerSec).toLocaleString('en-US')} | ${s.peakExtraRssMb.toFixed(0)} MB | ${s.outputMb ? `${s.outputMb.toFixed(1)} MB` : ''} |`,
    );
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? '100000');
  console.log(formatSerdesTable(await benchSerdesFormats(rows)));
}
