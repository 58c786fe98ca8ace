/**
 * `kestra-io/plugin-serdes` XML converters: `xml.XmlToIon` (XmlReader) and `xml.IonToXml` (XmlWriter).
 * XML parsing uses `saxes`, an optional dependency loaded on first use; writing needs nothing.
 */
import { encodingFor } from '../../serdes/convert.js';
import type { SaxesModule } from '../../serdes/xml.js';

/** Imported when a task runs, not at start-up. */
const xml = () => import('../../serdes/xml.js');
import { defineTask, type PropertyDefinition } from '../definition.js';
import { importOptional } from '../optional.js';
import { TaskError } from '../types.js';
import { convertToSink } from './convert-file.js';

const from: PropertyDefinition = { kind: 'string', required: true, description: 'A kestra:// URI.' };
const charset: PropertyDefinition = { kind: 'string', default: 'UTF-8' };
const outputs = { uri: { kind: 'string' }, size: { kind: 'integer' } } as const;

export const xmlToIonTask = defineTask({
  type: 'io.kestra.plugin.serdes.xml.XmlToIon',
  aliases: ['io.kestra.plugin.serdes.xml.XmlReader'],
  title: 'Convert an XML file to Ion (org.json mapping; one record per `query` match, streamed); outputs uri and size.',
  properties: {
    from,
    charset,
    query: { kind: 'string', description: 'A path such as /catalog/book: each matching element is one record.' },
    parserConfiguration: {
      kind: 'map',
      schema: { type: 'object', properties: { forceList: { type: 'array', items: { type: 'string' } } } },
      description: '`forceList`: tags always read as lists.',
    },
  },
  outputs,
  async run(ctx) {
    const saxes = await importOptional<SaxesModule>('saxes', ctx.task.type);
    const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
    const query = (await ctx.property<string>('query')) ?? undefined;
    const config = (await ctx.property<Record<string, unknown>>('parserConfiguration')) ?? {};
    const force = config['forceList'];
    if (force !== undefined && force !== null && !Array.isArray(force))
      throw new TaskError('INVALID_PROPERTY', 'Invalid value for `parserConfiguration.forceList`: expected a list of tag names');
    const forceList = Array.isArray(force) ? force.map((x) => String(x)) : [];
    const { xmlToIon } = await xml();
    return convertToSink(ctx, '.ion', 'utf8', (input, sink) =>
      xmlToIon(saxes, input, sink, { charset: cs, ...(query !== undefined ? { query } : {}), forceList }),
    );
  },
});

export const ionToXmlTask = defineTask({
  type: 'io.kestra.plugin.serdes.xml.IonToXml',
  aliases: ['io.kestra.plugin.serdes.xml.XmlWriter'],
  title: 'Convert an Ion file to XML (`<items><item>…</item></items>`, as Jackson writes it); outputs uri and size.',
  properties: {
    from,
    charset,
    rootName: { kind: 'string', default: 'items' },
    timeZoneId: { kind: 'string', description: 'Zone of the zoned date-times written (default: the process time zone).' },
  },
  outputs,
  async run(ctx) {
    const cs = (await ctx.property<string>('charset')) ?? 'UTF-8';
    const rootName = (await ctx.property<string>('rootName')) ?? 'items';
    const timeZoneId = (await ctx.property<string>('timeZoneId')) ?? undefined;
    const { ionToXml } = await xml();
    return convertToSink(ctx, '.xml', encodingFor(cs), (input, sink) =>
      ionToXml(input, sink, { rootName, ...(timeZoneId !== undefined ? { timeZoneId } : {}) }),
    );
  },
});

export const XML_TASKS = [xmlToIonTask, ionToXmlTask];
