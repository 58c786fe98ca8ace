/**
 * XML ⇄ Ion as kestra-io/plugin-serdes tests it (commit dd3a65f9, src/test/java/io/kestra/plugin/serdes/xml/XmlToIonWriterTest.java).
 * fixtures/xml/{book,book_result,items,empty-tag,empty}.xml are copied from that repository's src/test/resources/xml (Apache-2.0):
 * book_result.xml is what Kestra writes back after XmlToIon with query /catalog/book, key order (java.util.HashMap) included.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSink, ionValues } from '../../src/serdes/convert.js';
import { ionToXml, type SaxesModule, xmlToIon, xmlValue } from '../../src/serdes/xml.js';
import { JBigDecimal } from '../../src/engine/builtins/kestra/numbers.js';
import { project, type Project } from '../files/helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/xml', import.meta.url));
let dir: string;
let saxes: SaxesModule;
beforeAll(async () => {
  saxes = await import('saxes');
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pf-xml-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stream = (path: string): AsyncIterable<Uint8Array> => createReadStream(path);

async function read(xml: string, query?: string, forceList: string[] = []): Promise<{ path: string; size: number }> {
  const path = join(dir, `r-${Math.random()}.ion`);
  const sink = new FileSink(path);
  const size = await xmlToIon(saxes, stream(xml), sink, { charset: 'UTF-8', ...(query !== undefined ? { query } : {}), forceList });
  await sink.close();
  return { path, size };
}

async function write(ion: string, timeZoneId = 'UTC'): Promise<{ path: string; size: number }> {
  const path = join(dir, `w-${Math.random()}.xml`);
  const sink = new FileSink(path);
  const size = await ionToXml(stream(ion), sink, { rootName: 'items', timeZoneId });
  await sink.close();
  return { path, size };
}

async function rows(path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of ionValues(stream(path))) out.push(v);
  return out;
}

async function file(name: string, content: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

describe('XmlToIon / IonToXml (XmlToIonWriterTest)', () => {
  test('bookWithQuery: /catalog/book then IonToXml gives book_result.xml byte for byte', async () => {
    const ion = await read(join(FIXTURES, 'book.xml'), '/catalog/book');
    expect(ion.size).toBe(12);
    const xml = await write(ion.path);
    expect(xml.size).toBe(12);
    expect(await readFile(xml.path, 'utf8')).toBe(await readFile(join(FIXTURES, 'book_result.xml'), 'utf8'));
  });

  test('the whole document without a query gives the same records (root array unwrapped)', async () => {
    const ion = await read(join(FIXTURES, 'book.xml'));
    expect(ion.size).toBe(12);
    expect(await readFile((await write(ion.path)).path, 'utf8')).toBe(await readFile(join(FIXTURES, 'book_result.xml'), 'utf8'));
  });

  test('readItemsListUnwrapsToIndividualRecords', async () => {
    const ion = await read(join(FIXTURES, 'items.xml'));
    const out = await rows(ion.path);
    expect(out.length).toBe(3);
    expect((out[0] as Record<string, unknown>)['job_title']).toBe('BI Data Analyst');
    expect(String((out[0] as Record<string, unknown>)['avg_salary'])).toBe('836644.8');
  });

  test('ion: java.time values written as Jackson writes them, zoned ones in timeZoneId', async () => {
    const ion = await file(
      'in.ion',
      '{String:"string",Int:2,Float:3.200000047683716e0,Double:3.2e0,Instant:2021-05-05T10:21:12.123Z,' +
        'ZonedDateTime:ZonedDateTime::"2021-05-05T12:21:12.123456+02:00",LocalDateTime:LocalDateTime::"2021-05-05T12:21:00",' +
        'OffsetDateTime:OffsetDateTime::"2021-05-05T12:21:12.123456+02:00",LocalDate:2021-05-05,LocalTime:LocalTime::"12:21:12.123456",' +
        'OffsetTime:OffsetTime::"12:21:12.123456+02:00",Date:2021-05-05T10:21:12.123Z}\n',
    );
    const xml = await write(ion, 'Europe/Lisbon');
    expect(await readFile(xml.path, 'utf8')).toBe(
      "<?xml version='1.0' encoding='UTF-8'?>\n<items>\n  <item>\n    " +
        '<String>string</String>\n    ' +
        '<Int>2</Int>\n    ' +
        '<Float>3.200000047683716</Float>\n    ' +
        '<Double>3.2</Double>\n    ' +
        '<Instant>2021-05-05T10:21:12.123Z</Instant>\n    ' +
        '<ZonedDateTime>2021-05-05T11:21:12.123456+01:00</ZonedDateTime>\n    ' +
        '<LocalDateTime>2021-05-05T12:21:00</LocalDateTime>\n    ' +
        '<OffsetDateTime>2021-05-05T11:21:12.123456+01:00</OffsetDateTime>\n    ' +
        '<LocalDate>2021-05-05</LocalDate>\n    ' +
        '<LocalTime>12:21:12.123456</LocalTime>\n    ' +
        '<OffsetTime>12:21:12.123456+02:00</OffsetTime>\n    ' +
        '<Date>2021-05-05T10:21:12.123Z</Date>\n  ' +
        '</item>\n</items>\n',
    );
    expect(xml.size).toBe(1);
  });

  test('roundTripIonToXmlAndBack', async () => {
    const ion = await file(
      'in.ion',
      '{job_title:"Data Engineer",avg_salary:157510.03e0}\n{job_title:"Data Analyst",avg_salary:116348.29e0}\n',
    );
    const back = await rows((await read((await write(ion)).path)).path);
    expect(back.length).toBe(2);
    expect((back[0] as Record<string, unknown>)['job_title']).toBe('Data Engineer');
  });

  test('readEmpty, readEmptyTagBadQuery, readEmptyTagGoodQuery', async () => {
    expect(await readFile((await read(join(FIXTURES, 'empty.xml'), '/random/stuff')).path, 'utf8')).toBe('');
    expect(await readFile((await read(join(FIXTURES, 'empty-tag.xml'), '/random/stuff')).path, 'utf8')).toBe('');
    expect((await readFile((await read(join(FIXTURES, 'empty-tag.xml'), '/catalog')).path, 'utf8')).trim()).toBe('""');
  });

  test('largeXmlStreaming: 10,000 items, one record each, attributes as keys', async () => {
    let text = '<?xml version="1.0"?>\n<catalog>\n';
    for (let i = 0; i < 10_000; i++) text += `  <item id="${i}"><name>Item ${i}</name><value>${i * 1.5}</value></item>\n`;
    const xml = await file('large.xml', `${text}</catalog>\n`);
    const ion = await read(xml, '/catalog/item');
    expect(ion.size).toBe(10_000);
    const lines = (await readFile(ion.path, 'utf8')).trim().split('\n');
    expect(lines.length).toBe(10_000);
    const last = (await rows(ion.path))[9999] as Record<string, unknown>;
    expect(last['id']).toBe(9999);
    expect(last['name']).toBe('Item 9999');
    expect(String(last['value'])).toBe('14998.5');
  });

  test("org.json's mapping: typed text, content beside attributes, repeated tags, forceList, CDATA, empty elements", async () => {
    const xml = await file(
      'm.xml',
      '<r><a x="1" flag="true">text</a><b>1</b><b>2</b><c/><d><![CDATA[<raw> 007 ]]></d><e>007</e><f>-0</f><g>12345678901</g><one>x</one></r>',
    );
    const [row] = await rows((await read(xml, undefined, ['one'])).path);
    const r = (row as Record<string, Record<string, unknown>>)['r'] as Record<string, unknown>;
    expect(r['a']).toEqual({ x: 1, flag: true, content: 'text' });
    expect(r['b']).toEqual([1, 2]);
    expect(r['c']).toBe('');
    expect(r['d']).toBe('<raw> 007 ');
    expect(r['e']).toBe('007');
    expect(r['g']).toBe(12345678901n); // a Long
    expect(r['one']).toEqual(['x']);
    expect(xmlValue('44.95')).toBeInstanceOf(JBigDecimal);
    expect(xmlValue('NULL')).toBeNull();
    expect(xmlValue('1e3')).toBeInstanceOf(JBigDecimal);
    expect(xmlValue('abc')).toBe('abc');
  });

  test('a broken document without a query fails with Invalid XML', async () => {
    const xml = await file('bad.xml', '<a><b></a>');
    await expect(read(xml)).rejects.toThrow(/^Invalid XML/);
  });
});

describe('flow', () => {
  let p: Project;
  beforeAll(async () => {
    p = await project();
  });
  afterAll(async () => {
    await p.cleanup();
  });

  test('XmlReader → IonToJson and IonToXml, legacy and current names', async () => {
    const r = await p.run(`
id: serdes_xml
namespace: company.team
tasks:
  - id: xml
    type: io.kestra.plugin.core.storage.Write
    extension: .xml
    content: |
      <catalog><book id="b1"><title>T1</title></book><book id="b2"><title>T2</title></book></catalog>
  - id: to_ion
    type: io.kestra.plugin.serdes.xml.XmlReader
    from: "{{ outputs.xml.uri }}"
    query: /catalog/book
  - id: to_json
    type: io.kestra.plugin.serdes.json.IonToJson
    from: "{{ outputs.to_ion.uri }}"
  - id: to_xml
    type: io.kestra.plugin.serdes.xml.IonToXml
    from: "{{ outputs.to_ion.uri }}"
    rootName: books
`);
    expect(r.state).toBe('SUCCESS');
    expect(r.outputs['to_ion']).toMatchObject({ size: 2 });
    const uri = (id: string): string => (r.outputs[id] as { uri: string }).uri;
    expect(await p.read(uri('to_json'))).toBe('{"id":"b1","title":"T1"}\n{"id":"b2","title":"T2"}\n');
    expect(await p.read(uri('to_xml'))).toBe(
      "<?xml version='1.0' encoding='UTF-8'?>\n<books>\n  <item>\n    <id>b1</id>\n    <title>T1</title>\n  </item>\n  <item>\n    <id>b2</id>\n    <title>T2</title>\n  </item>\n</books>\n",
    );
  });
});
