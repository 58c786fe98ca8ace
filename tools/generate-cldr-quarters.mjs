#!/usr/bin/env node
/**
 * Writes src/engine/data/cldr-quarters.ts: the Gregorian quarter names of every CLDR 42 locale
 * (the CLDR of Java 21, Kestra's JVM), which Node's ICU has no API for. Run it again only to move
 * to another CLDR release (the one Kestra's JVM has):
 *
 *   cd "$(mktemp -d)" && npm pack cldr-dates-full@42.0.0 cldr-core@42.0.0
 *   mkdir dates core && tar xzf cldr-dates-full-42.0.0.tgz -C dates && tar xzf cldr-core-42.0.0.tgz -C core
 *   node tools/generate-cldr-quarters.mjs "$PWD/dates/package" "$PWD/core/package"   # from the repository
 *
 * The JSON of cldr-dates-full is resolved (each locale holds what it inherits), so a locale is kept
 * only where its names differ from what the engine would find by walking up from it as Java does
 * (CLDR's parentLocales, else the tag minus its last subtag, then root), and identical tables are
 * stored once. Locales with a script or variant subtag are left out, except zh-Hans/zh-Hant (Java
 * infers those from zh_CN, zh_TW…): Commons Lang's LocaleUtils.toLocale, which Kestra's `locale=`
 * goes through, cannot name them.
 *
 * The module holds the data as one JSON string, parsed on the first quarter name a template prints.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const [datesDir, coreDir] = process.argv.slice(2);
if (datesDir === undefined || coreDir === undefined) {
  console.error('usage: node tools/generate-cldr-quarters.mjs <cldr-dates-full package dir> <cldr-core package dir>');
  process.exit(2);
}
const root = fileURLToPath(new URL('../', import.meta.url));
const out = join(root, 'src/engine/data/cldr-quarters.ts');

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const version = readJson(join(datesDir, 'package.json')).version;
const coreVersion = readJson(join(coreDir, 'package.json')).version;
if (version !== coreVersion) throw new Error(`cldr-dates-full ${version} and cldr-core ${coreVersion} differ`);

/** CLDR's explicit parents (`en-GB` → `en-001`, `zh-Hant` → root), `und` spelled `root`. */
const explicitParents = Object.fromEntries(
  Object.entries(readJson(join(coreDir, 'supplemental/parentLocales.json')).supplemental.parentLocales.parentLocale).map(([c, p]) => [
    c,
    p === 'und' ? 'root' : p,
  ]),
);

/** Java can ask for `ll`, `ll-CC` (CC: 2 letters or 3 digits), and `zh-Hans-CC`/`zh-Hant-CC`. */
const reachable = (id) => id === 'root' || /^[a-z]{2,3}(?:-(?:[A-Z]{2}|\d{3}))?$/.test(id) || /^zh-Han[st](?:-[A-Z]{2})?$/.test(id);

const WIDTHS = ['abbreviated', 'wide', 'narrow'];
/** A locale's table: format abbreviated, wide, narrow, then stand-alone abbreviated, wide, narrow; 4 names each. */
const tables = new Map();
for (const dir of readdirSync(join(datesDir, 'main'))) {
  const id = dir === 'und' ? 'root' : dir;
  if (!reachable(id)) continue;
  const q = readJson(join(datesDir, 'main', dir, 'ca-gregorian.json')).main[dir].dates.calendars.gregorian.quarters;
  tables.set(
    id,
    ['format', 'stand-alone'].flatMap((context) => WIDTHS.map((w) => ['1', '2', '3', '4'].map((n) => q[context][w][n]))),
  );
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The next locale Java tries after `id`. */
const parentOf = (id, parents) => parents[id] ?? (id.includes('-') ? id.slice(0, id.lastIndexOf('-')) : 'root');

/** What Java 21 prints for `id`: the table of the first locale of its chain that CLDR has. */
function javaTable(id) {
  for (let at = id; ; at = parentOf(at, explicitParents)) {
    const t = tables.get(at);
    if (t !== undefined) return t;
  }
}

/** What the engine will find for `id` with the stored locales and parents (the same walk as locale.ts). */
function engineTable(id, stored, parents) {
  for (let at = id; ; at = parentOf(at, parents)) {
    const t = stored.get(at);
    if (t !== undefined) return t;
  }
}

// Parents before children: sort by the length of the chain up to root.
const depth = (id) => (id === 'root' ? 0 : 1 + depth(parentOf(id, explicitParents)));
const ids = [...tables.keys()].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
const stored = new Map([['root', tables.get('root')]]);
for (const id of ids) {
  if (id !== 'root' && !same(engineTable(parentOf(id, explicitParents), stored, explicitParents), tables.get(id))) {
    stored.set(id, tables.get(id));
  }
}
// Keep an explicit parent only where it changes what a tag finds.
const parents = { ...explicitParents };
for (const child of Object.keys(parents).sort()) {
  const without = { ...parents };
  delete without[child];
  if (!reachable(child) || stored.has(child) || same(engineTable(child, stored, parents), engineTable(child, stored, without))) {
    delete parents[child];
  }
}
// Every locale CLDR has, and every tag with an explicit parent, finds what Java finds.
for (const id of new Set([...tables.keys(), ...Object.keys(explicitParents).filter(reachable)])) {
  if (!same(engineTable(id, stored, parents), javaTable(id))) throw new Error(`${id}: the compact table disagrees with CLDR`);
}

/**
 * A width's 4 names as one string when they differ only by the quarter's digit (`#` stands for it:
 * `# trimestre`... `1er trimestre` is not), else the 4 names.
 */
function compactWidth(names) {
  if (names.some((n) => n.includes('#'))) throw new Error(`a quarter name holds #: ${names.join(', ')}`);
  const at = names[0].indexOf('1');
  if (at !== -1) {
    const template = `${names[0].slice(0, at)}#${names[0].slice(at + 1)}`;
    if (names.every((n, i) => n === template.replace('#', String(i + 1)))) return template;
  }
  return names;
}
/** A table as its 6 widths, or 3 when stand-alone equals format; a width equal to an earlier one is its index. */
function compactTable(t) {
  const widths = t.map(compactWidth);
  const kept = same(widths.slice(0, 3), widths.slice(3)) ? widths.slice(0, 3) : widths;
  return kept.map((w, i) => {
    const earlier = kept.findIndex((e) => same(e, w));
    return earlier < i && typeof w !== 'string' ? earlier : w;
  });
}

const distinct = [];
const locales = {};
for (const [id, t] of [...stored].sort(([a], [b]) => (a < b ? -1 : 1))) {
  const c = JSON.stringify(compactTable(t));
  let i = distinct.indexOf(c);
  if (i === -1) i = distinct.push(c) - 1;
  locales[id] = i;
}
const data = `{"tables":[${distinct.join(',')}],"locales":${JSON.stringify(locales)},"parents":${JSON.stringify(parents)}}`;
JSON.parse(data);

const source = `// Generated by tools/generate-cldr-quarters.mjs from cldr-dates-full ${version} and cldr-core ${version}: do not edit.
/**
 * Gregorian quarter names of CLDR ${version} (Java 21's), as JSON, parsed on first use (locale.ts).
 * \`tables\`: the distinct tables, each the widths abbreviated, wide, narrow of the format context,
 * then of the stand-alone one (left out when the same); a width is its 4 names, one string where
 * \`#\` stands for the quarter's digit, or the index of an earlier width of the table that it equals.
 * \`locales\`: a CLDR locale's table, for the locales whose names differ from what they inherit.
 * \`parents\`: the parents that are not the tag minus its last subtag, where that matters.
 */
export const CLDR_QUARTERS_JSON = ${JSON.stringify(data)};
`;
const options = { ...(await prettier.resolveConfig(out)), filepath: out };
writeFileSync(out, await prettier.format(source, options));
console.log(
  `${Object.keys(locales).length} locales, ${distinct.length} tables, ${Object.keys(parents).length} parents: ${Buffer.byteLength(data)} bytes of JSON in ${out}`,
);
