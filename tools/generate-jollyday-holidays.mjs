#!/usr/bin/env node
/**
 * Writes src/flow/data/jollyday-holidays.ts: the holiday calendars of Jollyday 0.32.0
 * (de.focus-shift:jollyday-core, the version Kestra pins for its PublicHoliday condition), read
 * from its Holidays_<calendar>.xml files, as one JSON string that src/flow/holidays.ts parses on
 * first use. Run it again only to move to another Jollyday release (the one Kestra pins):
 *
 *   git -C <jollyday clone> archive v0.32.0 jollyday-core/src/main/resources/holidays | tar -x -C /tmp/jd
 *   node tools/generate-jollyday-holidays.mjs /tmp/jd/jollyday-core/src/main/resources/holidays v0.32.0
 *
 * The files follow Jollyday's schema (focus_shift.de/jollyday/schema/holiday/holiday.xsd) and are
 * regular: elements, attributes and a few text nodes, comments, no entities or CDATA. A small
 * reader below builds their tree; anything the schema does not allow, or a value the evaluator
 * would not know, stops the script. Descriptions and sources are left out: the condition only
 * asks whether a date is a holiday.
 *
 * Each calendar is `[hierarchy, [holiday…], [sub-configuration…]]`; a holiday is one string, its
 * kind then its arguments, then its options (see the header written below and holidays.ts).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';

const [dir, tag] = process.argv.slice(2);
if (dir === undefined || tag === undefined) {
  console.error('usage: node tools/generate-jollyday-holidays.mjs <jollyday-core/src/main/resources/holidays dir> <tag, e.g. v0.32.0>');
  process.exit(2);
}
const root = fileURLToPath(new URL('../', import.meta.url));
const out = join(root, 'src/flow/data/jollyday-holidays.ts');

/** The element tree of a document: `{ name, attrs, children, text }`. */
function parseXml(source, file) {
  const text = source.replace(/<\?xml[^?]*\?>/, '').replace(/<!--[\s\S]*?-->/g, '');
  const tagRe = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*"[^"]*")*)\s*(\/?)>/g;
  const rootNode = { name: '#root', attrs: {}, children: [], text: '' };
  const stack = [rootNode];
  let last = 0;
  for (const m of text.matchAll(tagRe)) {
    const between = text.slice(last, m.index);
    if (between.includes('<') || between.includes('&'))
      throw new Error(`${file}: unexpected markup near ${JSON.stringify(between.slice(0, 60))}`);
    stack.at(-1).text += between.trim();
    last = m.index + m[0].length;
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      const open = stack.pop();
      if (open.name !== name) throw new Error(`${file}: </${name}> closes <${open.name}>`);
      continue;
    }
    const attrs = {};
    for (const a of attrText.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]] = a[2];
    const node = { name, attrs, children: [], text: '' };
    stack.at(-1).children.push(node);
    if (!selfClose) stack.push(node);
  }
  if (stack.length !== 1 || text.slice(last).trim() !== '') throw new Error(`${file}: unbalanced document`);
  if (rootNode.children.length !== 1 || rootNode.children[0].name !== 'Configuration') throw new Error(`${file}: no Configuration`);
  return rootNode.children[0];
}

const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];
const WHICH = { FIRST: '1', SECOND: '2', THIRD: '3', FOURTH: '4', LAST: 'L' };
const WHEN = { BEFORE: 'B', AFTER: 'A', CLOSEST: 'C' };
const CYCLES = ['EVERY_YEAR', 'TWO_YEARS', 'THREE_YEARS', 'FOUR_YEARS', 'FIVE_YEARS', 'SIX_YEARS', 'ODD_YEARS', 'EVEN_YEARS'];
const TYPES = { PUBLIC_HOLIDAY: '', BANK_HOLIDAY: 'B', OBSERVANCE: 'O', UNOFFICIAL_HOLIDAY: 'U' };
const CHRISTIAN = [
  'GOOD_FRIDAY',
  'EASTER_MONDAY',
  'ASCENSION_DAY',
  'WHIT_MONDAY',
  'CORPUS_CHRISTI',
  'MAUNDY_THURSDAY',
  'ASH_WEDNESDAY',
  'MARDI_GRAS',
  'GENERAL_PRAYER_DAY',
  'CLEAN_MONDAY',
  'SHROVE_MONDAY',
  'PENTECOST',
  'CARNIVAL',
  'EASTER_SATURDAY',
  'EASTER_TUESDAY',
  'SACRED_HEART',
  'EASTER',
  'PENTECOST_MONDAY',
  'WHIT_SUNDAY',
];
const ISLAMIC = [
  'NEWYEAR',
  'ASCHURA',
  'MAWLID_AN_NABI',
  'LAILAT_AL_MIRAJ',
  'LAILAT_AL_BARAT',
  'RAMADAN',
  'LAILAT_AL_QADR',
  'RAMADAN_END',
  'ID_AL_FITR',
  'ID_AL_FITR_2',
  'ID_AL_FITR_3',
  'ARAFAAT',
  'ID_UL_ADHA',
  'ID_UL_ADHA_2',
  'ID_UL_ADHA_3',
];
const ETHIOPIAN = ['TIMKAT', 'ENKUTATASH', 'MESKEL'];

let file = '';
const fail = (msg) => {
  throw new Error(`${file}: ${msg}`);
};
const oneOf = (value, allowed, what) => (allowed.includes(value) ? value : fail(`unknown ${what} ${JSON.stringify(value)}`));
const month = (v) => String(MONTHS.indexOf(oneOf(v, MONTHS, 'month')) + 1);
const weekday = (v) => String(WEEKDAYS.indexOf(oneOf(v, WEEKDAYS, 'weekday')) + 1);
const which = (v) => WHICH[oneOf(v, Object.keys(WHICH), 'which')];
const when = (v) => WHEN[oneOf(v, Object.keys(WHEN), 'when')];
const int = (v) => (/^-?\d+$/.test(String(v).trim()) ? String(Number(v)) : fail(`not an integer: ${JSON.stringify(v)}`));
const day = (v) => {
  const d = Number(int(v));
  return d >= 1 && d <= 31 ? String(d) : fail(`day ${v}`);
};
const child = (node, name) => node.children.find((c) => c.name === name) ?? fail(`<${node.name}> has no <${name}>`);
const optChild = (node, name) => node.children.find((c) => c.name === name);
const fixedDate = (node) => `${month(node.attrs.month)} ${day(node.attrs.day)}`;
const julian = (value) => (value === undefined || value === 'GREGORIAN' ? [] : value === 'JULIAN' ? ['j'] : fail(`chronology ${value}`));

/** The options every holiday has (validFrom, validTo, every, localizedType) and MovingCondition's. */
function options(node, movable) {
  const o = [];
  const a = node.attrs;
  if (a.validFrom !== undefined) o.push(`f${int(a.validFrom)}`);
  if (a.validTo !== undefined) o.push(`t${int(a.validTo)}`);
  if (a.every !== undefined && a.every !== 'EVERY_YEAR') o.push(`e${CYCLES.indexOf(oneOf(a.every, CYCLES, 'cycle'))}`);
  if (a.localizedType !== undefined && TYPES[oneOf(a.localizedType, Object.keys(TYPES), 'type')] !== '')
    o.push(`o${TYPES[a.localizedType]}`);
  const moves = node.children.filter((c) => c.name === 'MovingCondition');
  if (moves.length > 0 && !movable) fail(`<${node.name}> cannot move`);
  if (moves.length > 0) {
    const m = moves.map(
      (c) =>
        `${weekday(c.attrs.substitute)}${{ NEXT: 'n', PREVIOUS: 'p' }[oneOf(c.attrs.with, ['NEXT', 'PREVIOUS'], 'with')]}${weekday(c.attrs.weekday)}`,
    );
    o.push(`m${m.join(',')}`);
  }
  return o;
}

/** One holiday: its kind, arguments and options, space-separated. */
function holiday(node) {
  const a = node.attrs;
  switch (node.name) {
    case 'Fixed':
      return ['F', fixedDate(node), ...options(node, true)];
    case 'RelativeToFixed': {
      const wd = optChild(node, 'Weekday');
      const days = optChild(node, 'Days');
      const move = wd !== undefined ? `W${weekday(wd.text)}` : days !== undefined ? `D${int(days.text)}` : '-';
      return ['RF', fixedDate(child(node, 'Date')), when(child(node, 'When').text), move, ...options(node, false)];
    }
    case 'RelativeToWeekdayInMonth': {
      const fw = child(node, 'FixedWeekday');
      return [
        'RW',
        when(a.when),
        weekday(a.weekday),
        which(fw.attrs.which),
        weekday(fw.attrs.weekday),
        month(fw.attrs.month),
        ...options(node, false),
      ];
    }
    case 'FixedWeekday':
      return ['FW', which(a.which), weekday(a.weekday), month(a.month), ...options(node, false)];
    case 'ChristianHoliday':
      return ['C', oneOf(a.type, CHRISTIAN, 'christian holiday'), ...julian(a.chronology), ...options(node, true)];
    case 'IslamicHoliday':
      return ['I', oneOf(a.type, ISLAMIC, 'islamic holiday'), ...options(node, true)];
    case 'FixedWeekdayBetweenFixed':
      return ['FB', weekday(a.weekday), fixedDate(child(node, 'from')), fixedDate(child(node, 'to')), ...options(node, false)];
    case 'FixedWeekdayRelativeToFixed':
      return ['FR', which(a.which), weekday(a.weekday), when(a.when), fixedDate(child(node, 'day')), ...options(node, false)];
    case 'EthiopianOrthodoxHoliday':
      return ['E', oneOf(a.type, ETHIOPIAN, 'ethiopian orthodox holiday'), ...options(node, false)];
    case 'RelativeToEasterSunday':
      return ['RE', int(child(node, 'days').text), ...julian(child(node, 'chronology').text), ...options(node, false)];
    default:
      return fail(`unknown holiday <${node.name}>`);
  }
}

let holidayCount = 0;
function configuration(node) {
  const holidays = [];
  for (const h of node.children.filter((c) => c.name === 'Holidays')) {
    for (const c of h.children) holidays.push(holiday(c).join(' '));
  }
  holidayCount += holidays.length;
  const subs = node.children.filter((c) => c.name === 'SubConfigurations').map(configuration);
  const unknown = node.children.find((c) => !['Holidays', 'Sources', 'SubConfigurations'].includes(c.name));
  if (unknown !== undefined) fail(`unknown <${unknown.name}> in <${node.name}>`);
  if (node.attrs.hierarchy === undefined) fail(`<${node.name}> has no hierarchy`);
  return subs.length > 0 ? [node.attrs.hierarchy, holidays, subs] : [node.attrs.hierarchy, holidays];
}

const calendars = {};
for (const name of readdirSync(dir).sort()) {
  const m = /^Holidays_(.+)\.xml$/.exec(name);
  if (m === null) continue;
  file = name;
  calendars[m[1]] = configuration(parseXml(readFileSync(join(dir, name), 'utf8'), name));
}
const data = JSON.stringify(calendars);

const source = `// Generated by tools/generate-jollyday-holidays.mjs from Jollyday ${tag} (https://github.com/focus-shift/jollyday,
// jollyday-core/src/main/resources/holidays/Holidays_*.xml, Apache License 2.0): do not edit.
/**
 * The holiday calendars of Jollyday ${tag}, as JSON, parsed on first use (holidays.ts): a calendar
 * (the file's suffix: \`de\`, \`nyse\`) is \`[hierarchy, [holiday…], [sub-configuration…]]\`, a
 * sub-configuration the same. A holiday is one string: its kind and arguments, then its options.
 * Months 1-12, weekdays 1 (Monday) to 7, which 1-4 or L (last), when B(efore) A(fter) C(losest).
 *
 * - \`F month day\` Fixed; \`RF month day when W<weekday>|D<days>\` RelativeToFixed;
 *   \`RW when weekday which weekday month\` RelativeToWeekdayInMonth; \`FW which weekday month\`
 *   FixedWeekday; \`C TYPE [j]\` ChristianHoliday (j: Julian); \`I TYPE\` IslamicHoliday;
 *   \`FB weekday month day month day\` FixedWeekdayBetweenFixed; \`FR which weekday when month day\`
 *   FixedWeekdayRelativeToFixed; \`E TYPE\` EthiopianOrthodoxHoliday; \`RE days [j]\` RelativeToEasterSunday.
 * - Options: \`f<year>\` validFrom, \`t<year>\` validTo, \`e<n>\` every (index in
 *   ${CYCLES.join(', ')}),
 *   \`o<B|O|U>\` localizedType (bank holiday, observance, unofficial), \`j\` the Julian chronology,
 *   \`m<substitute><n|p><weekday>,…\` the MovingConditions (substitute that weekday with the
 *   next/previous such weekday).
 */
export const JOLLYDAY_HOLIDAYS_JSON = ${JSON.stringify(data)};
`;
const options_ = { ...(await prettier.resolveConfig(out)), filepath: out };
writeFileSync(out, await prettier.format(source, options_));
console.log(`${Object.keys(calendars).length} calendars, ${holidayCount} holidays: ${Buffer.byteLength(data)} bytes of JSON in ${out}`);
