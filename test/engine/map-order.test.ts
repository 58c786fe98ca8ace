/**
 * Java's map key order: Jackson reads JSON objects into LinkedHashMaps (insertion order, integer-like
 * keys included), Pebble's map literals and `merge` build HashMaps (hash order). JavaScript lists
 * integer-like keys first; the engine keeps Java's order (src/engine/map-order.ts).
 * Java: java.util.LinkedHashMap ("iteration ordering … is normally the order in which keys were
 * inserted … not affected if a key is re-inserted"); Jackson's UntypedObjectDeserializer.mapObject
 * builds a LinkedHashMap.
 */
import fc from 'fast-check';
import { parseJson, parseJsonKeepingOrder, parseYaml, writeYaml } from '../../src/engine/builtins/kestra/json.js';
import { readIonAll, toIonText } from '../../src/engine/builtins/kestra/ion.js';
import { parseIon, toIonLine } from '../../src/serdes/ion.js';
import { OrderedMapBuilder, copyKeyOrder, hasKeyOrder, isIndexKey, mapKeys, orderedMap, setKeyOrder } from '../../src/engine/map-order.js';
import { jsonString, toJavaString, toKestraJson } from '../../src/engine/values.js';
import { clonePlain } from '../../src/runner/context.js';
import { createEngine, jqReady } from '../../src/index.js';

const engine = createEngine();
const render = (template: string, context: Record<string, unknown> = {}): string => engine.renderSync(template, context);

describe('map-order primitives', () => {
  it.each([
    ['0', true],
    ['1', true],
    ['2024', true],
    ['4294967294', true],
    ['4294967295', false],
    ['01', false],
    ['-1', false],
    ['1.0', false],
    ['', false],
    ['a1', false],
    ['99999999999', false],
  ])('isIndexKey(%p) is %p (what JavaScript lists first)', (key, expected) => {
    expect(isIndexKey(key)).toBe(expected);
    // The definition: JavaScript enumerates such a key before a plain one inserted earlier.
    const o: Record<string, number> = { z: 0 };
    o[key] = 1;
    expect(Object.keys(o)[0] === key && key !== 'z').toBe(expected);
  });

  it('records an order only when JavaScript would list the keys differently', () => {
    expect(
      hasKeyOrder(
        orderedMap([
          ['b', 1],
          ['a', 2],
        ]),
      ),
    ).toBe(false);
    expect(
      hasKeyOrder(
        orderedMap([
          ['1', 1],
          ['2', 2],
          ['a', 3],
        ]),
      ),
    ).toBe(false);
    const m = orderedMap([
      ['b', 1],
      ['2024', 2],
      ['1', 3],
    ]);
    expect(hasKeyOrder(m)).toBe(true);
    expect(mapKeys(m)).toEqual(['b', '2024', '1']);
    // Invisible to everything but mapKeys.
    expect(Object.keys(m)).toEqual(['1', '2024', 'b']);
    expect(JSON.stringify({ ...m })).toBe('{"1":3,"2024":2,"b":1}');
    expect(Object.getOwnPropertyNames(m)).toEqual(['1', '2024', 'b']);
  });

  it('a re-inserted key keeps its first place and takes the last value (LinkedHashMap.put)', () => {
    const b = new OrderedMapBuilder();
    b.set('x', 1);
    b.set('7', 2);
    b.set('x', 3);
    b.setIfAbsent('7', 4);
    const m = b.build();
    expect(mapKeys(m)).toEqual(['x', '7']);
    expect(m['x']).toBe(3);
    expect(m['7']).toBe(2);
  });

  it('mapKeys returns a copy, and a map changed after it was built still lists every key', () => {
    const m = orderedMap([
      ['b', 1],
      ['2', 2],
    ]);
    mapKeys(m).push('zz');
    expect(mapKeys(m)).toEqual(['b', '2']);
    m['1'] = 3;
    m['c'] = 4;
    expect(mapKeys(m)).toEqual(['b', '2', '1', 'c']);
    delete m['b'];
    expect(mapKeys(m)).toEqual(['2', '1', 'c']);
    setKeyOrder(m, ['1', '2', 'c']);
    expect(hasKeyOrder(m)).toBe(false);
  });

  it('embedder objects keep their JavaScript order', () => {
    expect(mapKeys({ b: 1, 2024: 2 })).toEqual(['2024', 'b']);
    expect(render('{{ m }}|{{ m | keys }}', { m: { b: 1, 2024: 2 } })).toBe('{"2024":2,"b":1}|["2024","b"]');
  });

  it('copyKeyOrder and the runner clone keep the order', () => {
    const m = parseJson('{"b":{"9":1,"a":2},"2024":[{"z":1,"0":2}]}') as Record<string, unknown>;
    const copy = clonePlain(m);
    expect(toKestraJson(copy)).toBe('{"b":{"9":1,"a":2},"2024":[{"z":1,"0":2}]}');
    const shallow = copyKeyOrder(m, { ...m });
    expect(mapKeys(shallow)).toEqual(['b', '2024']);
  });
});

describe('templates see Java key order', () => {
  beforeAll(() => jqReady());
  const json = `fromJson('{"b":1,"2024":2,"a":null,"7":"x"}')`;

  it.each([
    [`{{ ${json} }}`, '{"b":1,"2024":2,"7":"x"}'],
    [`{{ ${json} | toJson }}`, '{"b":1,"2024":2,"7":"x"}'],
    [`{{ ${json} | toJson(includeNulls=true) }}`, '{"b":1,"2024":2,"a":null,"7":"x"}'],
    [`{{ ${json} ~ '' }}`, '{b=1, 2024=2, a=null, 7=x}'],
    [`{{ ${json} | keys }}`, '["b","2024","a","7"]'],
    [`{{ ${json} | values }}`, '[1,2,null,"x"]'],
    [`{{ ${json}.keySet() }}`, '["b","2024","a","7"]'],
    [`{{ ${json}.values() }}`, '[1,2,null,"x"]'],
    [`{{ ${json} | length }}`, '4'],
    [`{% for e in ${json} %}{{ e.key }}={{ e.value }};{% endfor %}`, 'b=1;2024=2;a=;7=x;'],
    [`{{ ${json} | keys | first }}/{{ ${json} | keys | last }}`, 'b/7'],
    [`{{ ${json} | jq('.') | first }}`, '{"b":1,"2024":2,"7":"x"}'],
    [`{{ ${json} | jq('keys_unsorted') | first }}`, '["b","2024","7"]'],
    [`{{ '{"b":1,"2024":2}' | jq('.') | first | keys }}`, '["b","2024"]'],
    [`{{ yaml('b: 1\n2024: 2\n"3": x') | keys }}`, '["b","2024","3"]'],
    [`{{ ${json} | yaml }}`, 'b: 1\n"2024": 2\na: null\n"7": x\n'],
    [`{{ [1] | merge(${json}) }}`, '[1,{"b":1},{"2024":2},{},{"7":"x"}]'],
    [`{{ render(${json}) | keys }}`, '["b","2024","a","7"]'],
    [`{{ fromIon(${json} | toIon) | keys }}`, '["b","2024","7"]'],
    // Kestra's replace rebuilds maps as HashMaps: "b" in bucket 2, "2024" and "7" in bucket 7 (in that order).
    [`{{ fromJson('{"7":"x","2024":2,"b":1}') | replace({'x': 'y'}) }}`, '{"b":"1","7":"y","2024":"2"}'],
  ])('%s', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it('map literals and merge keep HashMap order, integer-like keys included', () => {
    // java.util.HashMap, capacity 8 ("a"=97 → 1, "b"=98 → 2, "10"=1567 → 7, "2024" → 2 after "b"):
    // String.hashCode ^ (h >>> 16), masked.
    expect(render('{{ {"b": 1, "2024": 2, "10": 3, "a": 4} }}')).toBe('{"a":4,"b":1,"2024":2,"10":3}');
    expect(render('{{ {"b": 1} | merge({"2024": 2}) }}')).toBe('{"b":1,"2024":2}');
    expect(render('{{ {"b": 1} | merge({"2024": 2}) | keys }}')).toBe('["b","2024"]');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: parse → print round trips keep the insertion order of the text.
// ---------------------------------------------------------------------------------------------

const keyArb = fc.oneof(
  fc.nat({ max: 3000 }).map(String),
  fc.constantFrom('0', '01', '-1', '4294967294', '4294967295', '1.5', '__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 4 }),
);

type Obj = { entries: [string, Tree][] };
type Tree = number | string | boolean | Tree[] | Obj;

const treeArb: fc.Arbitrary<Obj> = fc.letrec<{ tree: Tree; obj: Obj }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1000, max: 1000 }),
    fc.string({ maxLength: 5 }),
    fc.boolean(),
    fc.array(tie('tree'), { maxLength: 3 }),
    tie('obj'),
  ),
  obj: fc.array(fc.tuple(keyArb, tie('tree')), { maxLength: 6 }).map((entries) => ({ entries })),
})).obj;

function isObj(t: Tree): t is Obj {
  return typeof t === 'object' && !Array.isArray(t);
}

/** The JSON text with every entry, duplicates included. */
function text(t: Tree): string {
  if (Array.isArray(t)) return `[${t.map(text).join(',')}]`;
  if (isObj(t)) return `{${t.entries.map(([k, v]) => `${jsonString(k)}:${text(v)}`).join(',')}}`;
  return typeof t === 'string' ? jsonString(t) : String(t);
}

/** What a LinkedHashMap holds after putting the entries in order: first place, last value. */
function dedup(entries: [string, Tree][]): [string, Tree][] {
  const at = new Map<string, number>();
  const out: [string, Tree][] = [];
  for (const [k, v] of entries) {
    const i = at.get(k);
    if (i === undefined) {
      at.set(k, out.length);
      out.push([k, v]);
    } else out[i] = [k, v];
  }
  return out;
}

function canonical(t: Tree): string {
  if (Array.isArray(t)) return `[${t.map(canonical).join(',')}]`;
  if (isObj(t))
    return `{${dedup(t.entries)
      .map(([k, v]) => `${jsonString(k)}:${canonical(v)}`)
      .join(',')}}`;
  return typeof t === 'string' ? jsonString(t) : String(t);
}

function javaText(t: Tree): string {
  if (Array.isArray(t)) return `[${t.map(javaText).join(', ')}]`;
  if (isObj(t))
    return `{${dedup(t.entries)
      .map(([k, v]) => `${k}=${javaText(v)}`)
      .join(', ')}}`;
  return String(t);
}

describe('order survives parse → print round trips (fast-check)', () => {
  it('parseJson then toKestraJson prints the keys in insertion order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        expect(toKestraJson(parseJson(text(t)))).toBe(canonical(t));
      }),
      { numRuns: 400 },
    );
  });

  it('parseJsonKeepingOrder: JSON.parse values, parseJson key order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const plain = parseJsonKeepingOrder(text(t));
        expect(plain).toEqual(JSON.parse(text(t)));
        expect(toKestraJson(plain)).toBe(canonical(t));
      }),
      { numRuns: 200 },
    );
  });

  it('parseJson then the Java text form, keys and for-loops follow insertion order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const value = parseJson(text(t)) as Record<string, unknown>;
        expect(toJavaString(value)).toBe(javaText(t));
        const keys = dedup(t.entries).map(([k]) => k);
        expect(mapKeys(value)).toEqual(keys);
        expect(render('{{ m | keys | toJson }}', { m: value })).toBe(`[${keys.map(jsonString).join(',')}]`);
        expect(render('{% for e in m %}{{ e.key | toJson }},{% endfor %}', { m: value })).toBe(
          keys.map((k) => `${jsonString(k)},`).join(''),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('fromJson | toJson, yaml round trip and Ion round trip keep the order', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const json = canonical(t);
        expect(render('{{ fromJson(j) | toJson }}', { j: text(t) })).toBe(json);
        expect(toKestraJson(parseYaml(writeYaml(parseJson(text(t)))))).toBe(json);
        expect(toKestraJson(readIonAll(toIonText(parseJson(text(t))))[0])).toBe(json);
        // Kestra's internal files (serdes): written and read back.
        expect(toKestraJson(parseIon(toIonLine(parseJson(text(t))))[0])).toBe(json);
      }),
      { numRuns: 150 },
    );
  });

  it('jq passes maps through in order', async () => {
    await jqReady();
    await fc.assert(
      fc.asyncProperty(treeArb, async (t) => {
        expect(await engine.render("{{ j | jq('.') | first | toJson }}", { j: text(t) })).toBe(canonical(t));
      }),
      { numRuns: 40 },
    );
  });
});
