/**
 * CSV ↔ Ion and JSON ↔ Ion as kestra-io/plugin-serdes tests them (src/test/java/io/kestra/plugin/serdes/
 * csv/CsvToIonWriterTest.java, json/JsonToIonTest.java, json/IonToJsonTest.java): round trips give the
 * source back, options and bad lines behave as there. Real files in a temporary folder.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBinaryWriter, IonTypes } from 'ion-js';
import {
  csvToIon,
  CSV_TO_ION_DEFAULTS,
  ionToCsv,
  ionToJson,
  ION_TO_CSV_DEFAULTS,
  ionValues,
  jsonToIon,
  type CsvToIonOptions,
} from '../../src/serdes/convert.js';
import { parseIon, toIonLine } from '../../src/serdes/ion.js';
import { JDouble } from '../../src/engine/values.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-serdes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const warnings: string[] = [];
const log = (_level: string, message: string): void => void warnings.push(message);

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
const stream = (path: string): AsyncIterable<Uint8Array> => createReadStream(path);
const text = (path: string): Promise<string> => readFile(path, 'utf8');

async function rows(path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of ionValues(stream(path))) out.push(v);
  return out;
}

const INSURANCE =
  [
    '"policyID";"statecode";"county";"eq_site_limit";"construction";"point_granularity"',
    '"119736";"FL";"CLAY COUNTY";"498960";"Masonry";"1"',
    '"448094";"FL";"CLAY COUNTY";"1322376.3";"Masonry";"3"',
    '"206893";"FL";"a ""quoted"" county";"190724.4";"Wood";"1"',
    '"333743";"FL";"multi',
    'line";"0";"Wood";"3"',
  ].join('\r\n') + '\r\n';

describe('CSV → Ion → CSV', () => {
  test.each([true, false])('round trip gives the source back (header: %s, `;`, always quoted, CRLF)', async (header) => {
    const source = header ? INSURANCE : INSURANCE.slice(INSURANCE.indexOf('\r\n') + 2);
    const src = await file('in.csv', source);
    const ion = join(dir, 'out.ion');
    const count = await csvToIon(stream(src), ion, { ...CSV_TO_ION_DEFAULTS, fieldSeparator: ';', header }, log);
    expect(count).toBe(4);
    const csv = join(dir, 'back.csv');
    const back = await ionToCsv(stream(ion), csv, {
      ...ION_TO_CSV_DEFAULTS,
      fieldSeparator: ';',
      quoteMode: 'ALWAYS',
      lineDelimiter: '\r\n',
      header,
    });
    expect(back).toBe(count);
    expect(await text(csv)).toBe(source);
  });

  test('rows are maps of strings in header order; \\N is null; Ion text one value per line', async () => {
    const src = await file('in.csv', 'id,name,note\n1,Apple,\\N\n2,"Pear, green",\n');
    const ion = join(dir, 'out.ion');
    await csvToIon(stream(src), ion, CSV_TO_ION_DEFAULTS, log);
    expect(await text(ion)).toBe('{id:"1",name:"Apple",note:null}\n{id:"2",name:"Pear, green",note:""}\n');
  });

  test('no header: each row is a list (noHeaderSingleColumnProducesListRows)', async () => {
    const ion = join(dir, 'out.ion');
    await csvToIon(stream(await file('in.csv', 'ABC\nXYZ\n')), ion, { ...CSV_TO_ION_DEFAULTS, header: false }, log);
    expect(await rows(ion)).toEqual([['ABC'], ['XYZ']]);
  });

  test('skipRows skips data rows after the header (skipRows: 4 of 6 rows leaves 2)', async () => {
    const ion = join(dir, 'out.ion');
    const count = await csvToIon(stream(await file('in.csv', 'a\n1\n2\n3\n4\n5\n6\n')), ion, { ...CSV_TO_ION_DEFAULTS, skipRows: 4 }, log);
    expect(count).toBe(2);
    expect(await rows(ion)).toEqual([{ a: '5' }, { a: '6' }]);
  });

  test('a UTF-8 byte-order mark is stripped (utf8BomInHeaderIsStripped), trailing unnamed columns dropped', async () => {
    const src = await file(
      'in.csv',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("code_insee;nom_commune;\n1001;L'Abergement-Clémenciat;\n")]),
    );
    const ion = join(dir, 'out.ion');
    warnings.length = 0;
    await csvToIon(stream(src), ion, { ...CSV_TO_ION_DEFAULTS, fieldSeparator: ';' }, log);
    expect(await rows(ion)).toEqual([{ code_insee: '1001', nom_commune: "L'Abergement-Clémenciat" }]);
    expect(warnings[0]).toMatch(/^Dropped 1 trailing unnamed header column/);
  });

  test('onEmptyHeader: RENAME names unnamed columns col_<index>', async () => {
    const ion = join(dir, 'out.ion');
    await csvToIon(
      stream(await file('in.csv', 'a;;\n1;2;3\n')),
      ion,
      { ...CSV_TO_ION_DEFAULTS, fieldSeparator: ';', onEmptyHeader: 'RENAME' },
      log,
    );
    expect(await rows(ion)).toEqual([{ a: '1', col_1: '2', col_2: '3' }]);
  });

  test.each<[CsvToIonOptions['onBadLines'], number | string]>([
    ['ERROR', 'Bad line encountered (field count mismatch): Expected 2, got 3 fields.'],
    ['WARN', 2],
    ['SKIP', 2],
  ])('onBadLines: %s', async (onBadLines, expected) => {
    const src = await file('in.csv', 'a,b\n1,2\n1,2,3\n4,5\n');
    const ion = join(dir, 'out.ion');
    const run = csvToIon(stream(src), ion, { ...CSV_TO_ION_DEFAULTS, onBadLines }, log);
    if (typeof expected === 'string') await expect(run).rejects.toThrow(expected);
    else expect(await run).toBe(expected);
  });

  test('a character after a closing quote is a bad line unless allowed', async () => {
    const src = await file('in.csv', 'a,b\n"x"y,2\n');
    await expect(csvToIon(stream(src), join(dir, 'o.ion'), CSV_TO_ION_DEFAULTS, log)).rejects.toThrow(
      /Unexpected character after closing quote/,
    );
    await csvToIon(stream(src), join(dir, 'o2.ion'), { ...CSV_TO_ION_DEFAULTS, allowExtraCharsAfterClosingQuote: true }, log);
    expect(await rows(join(dir, 'o2.ion'))).toEqual([{ a: 'xy', b: '2' }]);
  });

  test('IonToCsv: quote modes and Java formatting of values', async () => {
    const ion = await file('in.ion', '{a:"x,y",b:1,c:1.5e0,d:2e0,e:null,f:true,g:-3.25}\n');
    const out = join(dir, 'out.csv');
    await ionToCsv(stream(ion), out, ION_TO_CSV_DEFAULTS);
    expect(await text(out)).toBe('a,b,c,d,e,f,g\n"x,y",1,1.5,2.0,,true,-3.25\n');
    await ionToCsv(stream(ion), out, { ...ION_TO_CSV_DEFAULTS, quoteMode: 'NON_NUMERIC', header: false });
    expect(await text(out)).toBe('"x,y",1,1.5,2.0,,"true",-3.25\n');
  });
});

describe('JSON ↔ Ion', () => {
  const JSONL = [
    '{"id":4814976,"name":"Jane","score":1.5,"ratio":2.0,"tags":["a","b"],"nested":{"ok":true,"none":null},"big":9007199254740993}',
    '{"id":2,"name":"John"}',
  ].join('\n');

  test('JSON Lines round trip keeps values and types (JsonToIonTest.newLine), .jsonl extension is the caller’s', async () => {
    const ion = join(dir, 'out.ion');
    expect(await jsonToIon(stream(await file('in.jsonl', JSONL)), ion, { newLine: true, charset: 'UTF-8' })).toBe(2);
    expect((await text(ion)).split('\n')[0]).toBe(
      '{id:4814976,name:"Jane",score:1.5e0,ratio:2.0e0,tags:["a","b"],nested:{ok:true,none:null},big:9007199254740993}',
    );
    const out = join(dir, 'out.jsonl');
    expect(await ionToJson(stream(ion), out, { newLine: true, charset: 'UTF-8' })).toBe(2);
    // Kestra's JSON writer leaves out null map entries.
    expect(await text(out)).toBe(
      '{"id":4814976,"name":"Jane","score":1.5,"ratio":2.0,"tags":["a","b"],"nested":{"ok":true},"big":9007199254740993}\n{"id":2,"name":"John"}\n',
    );
  });

  test('a JSON array gives one row per element and comes back as an array (JsonToIonTest.array)', async () => {
    const ion = join(dir, 'out.ion');
    await jsonToIon(stream(await file('in.json', '[{"a":1},{"a":2}]')), ion, { newLine: false, charset: 'UTF-8' });
    const out = join(dir, 'out.json');
    await ionToJson(stream(ion), out, { newLine: false, charset: 'UTF-8' });
    expect(JSON.parse(await text(out))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test('a single object stays an object (JsonToIonTest.object)', async () => {
    const ion = join(dir, 'out.ion');
    await jsonToIon(stream(await file('in.json', '{"id": 4814976}')), ion, { newLine: false, charset: 'UTF-8' });
    const out = join(dir, 'out.json');
    await ionToJson(stream(ion), out, { newLine: false, charset: 'UTF-8' });
    expect(JSON.parse(await text(out))).toEqual({ id: 4814976 });
  });

  test('annotations are dropped (IonToJsonTest without annotations); binary Ion is read too', async () => {
    const ion = await file('in.ion', '{dn:"cn=tony",attributes:{description:["Some description 2",base64::"TGlzdGU=","x"]}}\n');
    const out = join(dir, 'out.jsonl');
    expect(await ionToJson(stream(ion), out, { newLine: true, charset: 'UTF-8' })).toBe(1);
    expect(await text(out)).toBe('{"dn":"cn=tony","attributes":{"description":["Some description 2","TGlzdGU=","x"]}}\n');
    const w = makeBinaryWriter();
    for (const [id, name] of [
      [1, 'alice'],
      [2, 'bob'],
    ] as const) {
      w.stepIn(IonTypes.STRUCT);
      w.writeFieldName('id');
      w.writeInt(id);
      w.writeFieldName('name');
      w.writeString(name);
      w.stepOut();
    }
    w.close();
    const bin = await file('bin.ion', Buffer.from(w.getBytes()));
    await ionToJson(stream(bin), out, { newLine: true, charset: 'UTF-8' });
    expect(await text(out)).toBe('{"id":1,"name":"alice"}\n{"id":2,"name":"bob"}\n');
  });

  test('bad JSON names the line', async () => {
    await expect(
      jsonToIon(stream(await file('in.jsonl', '{"a":1}\n{oops}\n')), join(dir, 'o.ion'), { newLine: true, charset: 'UTF-8' }),
    ).rejects.toThrow(/^Invalid JSON on line 2/);
  });
});

describe('Ion text', () => {
  test('writer: symbols quoted when needed, strings escaped, numbers as ion-java prints them', () => {
    expect(toIonLine({ 'first name': 'a"b\\c\n', null: null, $1: 1, ok: [new JDouble(1), 1.5e-7, 1e21, -0.5] })).toBe(
      `{'first name':"a\\"b\\\\c\\n",'null':null,'$1':1,ok:[1.0e0,1.5e-7,1.0e21,-0.5e0]}`,
    );
  });

  test('reader: the subset Kestra writes, plus comments, long strings, annotations and ion-js fallback for blobs', () => {
    expect(
      parseIon("{a:1, 'b c':\"x\", d:[1.5e0, 2.50, null.int], e:2024-01-31T10:00:00Z} // end\n'''long ''' '''string''' ann::sym"),
    ).toEqual([{ a: 1, 'b c': 'x', d: [1.5, expect.anything(), null], e: '2024-01-31T10:00:00Z' }, 'long string', 'sym']);
    expect(parseIon('{b:{{aGVsbG8=}}}')).toEqual([{ b: 'aGVsbG8=' }]);
  });
});
