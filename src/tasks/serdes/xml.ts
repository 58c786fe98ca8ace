/**
 * `kestra-io/plugin-serdes` XML converters: `xml.XmlToIon` (XmlReader) and `xml.IonToXml` (XmlWriter).
 * XML parsing uses `saxes`, an optional dependency loaded on first use; writing needs nothing. The
 * conversion code (xml-run.ts) is imported on first use too.
 */
import { defineTask, type PropertyDefinition } from '../definition.js';

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
    return (await import('./xml-run.js')).runXmlToIon(ctx);
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
    return (await import('./xml-run.js')).runIonToXml(ctx);
  },
});

export const XML_TASKS = [xmlToIonTask, ionToXmlTask];
