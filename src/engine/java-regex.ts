/**
 * Java regular expressions (`java.util.regex.Pattern`, Java 21) as JavaScript ones.
 *
 * Kestra runs `split`, `replace(regexp=true)` and input validators with Java's engine, so a
 * pattern is parsed with Java's syntax and emitted as a JavaScript pattern with the same matches.
 * What JavaScript cannot say is emulated: possessive quantifiers and atomic groups as
 * `(?=(X))\N` (an extra capturing group, hidden behind a group map), scoped flags by rewriting
 * what they change (case-folded classes for `i`, explicit classes for `.`, `^`, `$`), Java's
 * ASCII `\s`/`\d`/`\w`/POSIX classes by plain ranges. What cannot be emulated exactly is refused
 * with a {@link JavaRegexError}, never translated to something that matches differently.
 *
 * Patterns stay on V8's linear-time engine where possible (see regex.ts): the `u` flag only when
 * a construct needs it (`\p{…}`, code points above U+FFFF), `v` only for set operations on
 * properties, no lookaround unless the Java construct needs one. Two things depend on the input:
 * - Java's `.`, negated classes and `\W`… match a whole supplementary code point: inputs with
 *   surrogates get a `u` variant of the pattern (same groups);
 * - Java's `$` (without MULTILINE) and `\Z` also match before a final line terminator, and
 *   `\b` counts a non-spacing mark after a letter or digit as part of the word: the exact
 *   translation needs lookarounds, so it is used only for inputs that end with a line terminator
 *   or contain a non-spacing mark; other inputs get the plain pattern, which matches the same there.
 */
import { PebbleflowError } from '../errors/pebbleflow-error.js';
import type { CallBudget } from './budget.js';
import type { MaybePromise } from './extension.js';
import { compileRegex, replaceAll } from './regex.js';

export type JavaRegexErrorCode = 'SYNTAX' | 'UNSUPPORTED';

/** A pattern Java rejects (`SYNTAX`, Java's PatternSyntaxException text) or one that cannot be emulated (`UNSUPPORTED`). */
export class JavaRegexError extends PebbleflowError<JavaRegexErrorCode> {
  /** The offending position in the pattern (in code points), as Java reports it. */
  readonly index: number;
  constructor(code: JavaRegexErrorCode, description: string, index: number) {
    super(code, code === 'SYNTAX' ? `${description} near index ${index}` : `${description} (near index ${index})`);
    this.index = index;
  }
}

export interface JavaRegexOptions {
  /** Java's compile flags as inline letters (`imsxuUd`), as if the pattern started with `(?flags)`. */
  readonly flags?: string;
  /**
   * Whether the caller reads captured groups (replacement `$n`). Where JavaScript's captures can
   * differ from Java's (groups inside lookbehind, a group that may skip the last repetition of a
   * loop), the pattern is refused only when they are read; `split` and `matches` never read them.
   */
  readonly capturesRead?: boolean;
}

export interface JavaRegexSource {
  readonly source: string;
  /** `''`, `'u'` or `'v'`. */
  readonly flags: string;
}

export interface JavaRegexTranslation {
  /** Matches as Java does on every input. */
  readonly exact: JavaRegexSource;
  /**
   * Matches as Java does on inputs that neither end with a line terminator nor contain a
   * non-spacing mark; the same as `exact` unless the pattern has `$`, `\Z` or `\b`.
   */
  readonly plain: JavaRegexSource;
  /** Java group `n` is JavaScript group `groupMap[n]` (`groupMap[0]` is 0, the whole match). */
  readonly groupMap: readonly number[];
  /** Named groups, by Java group number. */
  readonly groupNames: ReadonlyMap<string, number>;
}

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly x: boolean;
  readonly u: boolean;
  readonly U: boolean;
  readonly d: boolean;
}

const NO_FLAGS: Flags = { i: false, m: false, s: false, x: false, u: false, U: false, d: false };

// ---------------------------------------------------------------------------------------------
// Character sets
// ---------------------------------------------------------------------------------------------

type Range = readonly [number, number];

/** A class: a union of ranges, JS property escapes and nested classes, optionally intersected and negated. */
interface ClassSet {
  negated: boolean;
  ranges: Range[];
  /** JS escapes valid in a `u` class: `\p{L}`, `\P{Nd}`. */
  props: string[];
  nested: ClassSet[];
  /** When set, this class is the intersection of these operands (ranges/props/nested unused). */
  and?: ClassSet[];
}

const MAX_CP = 0x10ffff;

function set(ranges: Range[], props: string[] = [], nested: ClassSet[] = [], negated = false): ClassSet {
  return { negated, ranges, props, nested };
}

function normalizeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complementRanges(ranges: readonly Range[], max: number): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, Math.min(lo - 1, max)]);
    next = hi + 1;
  }
  if (next <= max) out.push([next, max]);
  return out.filter(([lo, hi]) => lo <= hi && lo <= max);
}

function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [alo, ahi] of normalizeRanges(a)) {
    for (const [blo, bhi] of normalizeRanges(b)) {
      const lo = Math.max(alo, blo);
      const hi = Math.min(ahi, bhi);
      if (lo <= hi) out.push([lo, hi]);
    }
  }
  return normalizeRanges(out);
}

/** Whether a class is only ranges (so its complement and intersections are computable here). */
function isPlain(c: ClassSet): boolean {
  return c.and === undefined && c.props.length === 0 && c.nested.length === 0;
}

/** Folds nested classes into their parent where the result is still ranges; `max` bounds complements. */
function simplify(c: ClassSet, max: number): ClassSet {
  if (c.and !== undefined) {
    const operands = c.and.map((o) => simplify(o, max));
    if (operands.every(isPlain)) {
      let ranges: Range[] = [[0, max]];
      for (const o of operands) ranges = intersectRanges(ranges, o.negated ? complementRanges(o.ranges, max) : o.ranges);
      return set(ranges, [], [], c.negated);
    }
    return { negated: c.negated, ranges: [], props: [], nested: [], and: operands };
  }
  const ranges: Range[] = [...c.ranges];
  const props = [...c.props];
  const nested: ClassSet[] = [];
  for (const n0 of c.nested) {
    const n = simplify(n0, max);
    if (isPlain(n)) ranges.push(...(n.negated ? complementRanges(n.ranges, max) : n.ranges));
    else if (!n.negated && n.and === undefined) {
      ranges.push(...n.ranges);
      props.push(...n.props);
      nested.push(...n.nested);
    } else if (n.negated && n.and === undefined && n.nested.length === 0 && n.ranges.length === 0 && n.props.length === 1) {
      props.push(negateProp(n.props[0]!));
    } else nested.push(n);
  }
  return set(normalizeRanges(ranges), [...new Set(props)], nested, c.negated);
}

function negateProp(prop: string): string {
  return prop.startsWith('\\p') ? '\\P' + prop.slice(2) : '\\p' + prop.slice(2);
}

function classChar(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return String.fromCharCode(cp);
  if (cp <= 0xffff) return '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}

/** What a translation needs of the RegExp flags, found while emitting. */
interface Needs {
  unicode: boolean;
  sets: boolean;
}

function emitClassBody(c: ClassSet, needs: Needs): string {
  if (c.and !== undefined) {
    needs.sets = true;
    needs.unicode = true;
    return c.and.map((o) => emitClass(o, needs)).join('&&');
  }
  let out = '';
  for (const [lo, hi] of c.ranges) {
    if (hi > 0xffff) needs.unicode = true;
    out += lo === hi ? classChar(lo) : hi === lo + 1 ? classChar(lo) + classChar(hi) : `${classChar(lo)}-${classChar(hi)}`;
  }
  if (c.props.length > 0) needs.unicode = true;
  out += c.props.join('');
  for (const n of c.nested) {
    needs.sets = true;
    needs.unicode = true;
    out += emitClass(n, needs);
  }
  return out;
}

function emitClass(c: ClassSet, needs: Needs): string {
  if (c.and === undefined && !c.negated && c.ranges.length === 0 && c.nested.length === 0 && c.props.length === 1) {
    needs.unicode = true;
    return c.props[0]!;
  }
  if (c.and === undefined && !c.negated && c.ranges.length === 0 && c.props.length === 0 && c.nested.length === 1)
    return emitClass(c.nested[0]!, needs);
  const body = emitClassBody(c, needs);
  if (body === '') return c.negated ? '[^]' : '[]';
  return `[${c.negated ? '^' : ''}${body}]`;
}

// Java's predefined classes (ASCII unless UNICODE_CHARACTER_CLASS), from the Pattern Javadoc.
const ASCII_SPACE: Range[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
const ASCII_DIGIT: Range[] = [[0x30, 0x39]];
const ASCII_WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const HORIZONTAL_SPACE: Range[] = [
  [0x09, 0x09],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const VERTICAL_SPACE: Range[] = [
  [0x0a, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
];
/** `Character.isWhitespace` (Unicode 15). */
const JAVA_WHITESPACE: Range[] = [
  [0x09, 0x0d],
  [0x1c, 0x20],
  [0x1680, 0x1680],
  [0x2000, 0x2006],
  [0x2008, 0x200a],
  [0x2028, 0x2029],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];
const IDENTIFIER_IGNORABLE = (): ClassSet =>
  set(
    [
      [0x00, 0x08],
      [0x0e, 0x1b],
      [0x7f, 0x9f],
    ],
    ['\\p{Cf}'],
  );

/** POSIX classes, ASCII-only in Java unless UNICODE_CHARACTER_CLASS. */
const POSIX_ASCII: Record<string, Range[]> = {
  Lower: [[0x61, 0x7a]],
  Upper: [[0x41, 0x5a]],
  ASCII: [[0x00, 0x7f]],
  Alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  Digit: ASCII_DIGIT,
  Alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  Punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  Graph: [[0x21, 0x7e]],
  Print: [[0x20, 0x7e]],
  Blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  Cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  XDigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
  Space: ASCII_SPACE,
};

const UNICODE_WORD = (): ClassSet =>
  set([], ['\\p{Alphabetic}', '\\p{Mn}', '\\p{Me}', '\\p{Mc}', '\\p{Nd}', '\\p{Pc}', '\\p{Join_Control}']);

/** POSIX classes under UNICODE_CHARACTER_CLASS (Pattern Javadoc, "Unicode support"). */
function posixUnicode(name: string): ClassSet | undefined {
  switch (name) {
    case 'ALPHA':
      return set([], ['\\p{Alphabetic}']);
    case 'LOWER':
      return set([], ['\\p{Lowercase}']);
    case 'UPPER':
      return set([], ['\\p{Uppercase}']);
    case 'SPACE':
      return set([], ['\\p{White_Space}']);
    case 'PUNCT':
      return set([], ['\\p{P}']);
    case 'XDIGIT':
      return set([], ['\\p{Nd}', '\\p{Hex_Digit}']);
    case 'ALNUM':
      return set([], ['\\p{Alphabetic}', '\\p{Nd}']);
    case 'CNTRL':
      return set([], ['\\p{Cc}']);
    case 'DIGIT':
      return set([], ['\\p{Nd}']);
    case 'BLANK':
      return set([[0x09, 0x09]], ['\\p{Zs}']);
    case 'GRAPH':
      return set([], ['\\p{White_Space}', '\\p{Cc}', '\\p{Cs}', '\\p{Cn}'], [], true);
    case 'PRINT':
      return set([[0x2028, 0x2029]], ['\\p{Cc}', '\\p{Cs}', '\\p{Cn}'], [], true);
    case 'WORD':
      return UNICODE_WORD();
    default:
      return undefined;
  }
}

const CATEGORIES = new Set(
  'Cn Lu Ll Lt Lm Lo Mn Me Mc Nd Nl No Zs Zl Zp Cc Cf Co Cs Pd Ps Pe Pc Po Sm Sc Sk So Pi Pf L M N Z C P S LC'.split(' '),
);

/** The case-related properties Java widens under CASE_INSENSITIVE (to all cased letters). */
const CASED = (): ClassSet => set([], ['\\p{Lowercase}', '\\p{Uppercase}', '\\p{Lt}']);

/** `CharPredicates.forProperty`: categories, POSIX (ASCII), java.lang.Character methods. */
function forProperty(name: string, caseInsensitive: boolean): ClassSet | undefined {
  if (caseInsensitive && (name === 'Lu' || name === 'Ll' || name === 'Lt')) return set([], ['\\p{Lu}', '\\p{Ll}', '\\p{Lt}']);
  if (CATEGORIES.has(name)) return set([], [`\\p{${name}}`]);
  if (caseInsensitive && (name === 'Lower' || name === 'Upper')) return set(POSIX_ASCII['Alpha']!);
  const posix = POSIX_ASCII[name];
  if (posix !== undefined) return set(posix);
  if (caseInsensitive && (name === 'javaLowerCase' || name === 'javaUpperCase' || name === 'javaTitleCase')) return CASED();
  switch (name) {
    case 'LD':
      return set([], ['\\p{L}', '\\p{Nd}']);
    case 'L1':
      return set([[0x00, 0xff]]);
    case 'all':
      return set([[0, MAX_CP]]);
    case 'javaLowerCase':
      return set([], ['\\p{Lowercase}']);
    case 'javaUpperCase':
      return set([], ['\\p{Uppercase}']);
    case 'javaTitleCase':
      return set([], ['\\p{Lt}']);
    case 'javaAlphabetic':
      return set([], ['\\p{Alphabetic}']);
    case 'javaIdeographic':
      return set([], ['\\p{Ideographic}']);
    case 'javaDigit':
      return set([], ['\\p{Nd}']);
    case 'javaDefined':
      return set([], ['\\P{Cn}']);
    case 'javaLetter':
      return set([], ['\\p{L}']);
    case 'javaLetterOrDigit':
      return set([], ['\\p{L}', '\\p{Nd}']);
    case 'javaSpaceChar':
      return set([], ['\\p{Z}']);
    case 'javaWhitespace':
      return set(JAVA_WHITESPACE);
    case 'javaISOControl':
      return set([
        [0x00, 0x1f],
        [0x7f, 0x9f],
      ]);
    case 'javaMirrored':
      return set([], ['\\p{Bidi_Mirrored}']);
    case 'javaJavaIdentifierStart':
      return set([], ['\\p{L}', '\\p{Nl}', '\\p{Sc}', '\\p{Pc}']);
    case 'javaJavaIdentifierPart':
      return set([], ['\\p{L}', '\\p{Sc}', '\\p{Pc}', '\\p{Nd}', '\\p{Nl}', '\\p{Mc}', '\\p{Mn}'], [IDENTIFIER_IGNORABLE()]);
    // Java: isLetter, LETTER_NUMBER or Other_ID_Start; ID_Start only leaves out U+2E2F (Pattern_Syntax).
    case 'javaUnicodeIdentifierStart':
      return set([[0x2e2f, 0x2e2f]], ['\\p{ID_Start}']);
    case 'javaUnicodeIdentifierPart':
      return set([[0x2e2f, 0x2e2f]], ['\\p{ID_Continue}'], [IDENTIFIER_IGNORABLE()]);
    case 'javaIdentifierIgnorable':
      return IDENTIFIER_IGNORABLE();
    default:
      return undefined;
  }
}

/** `CharPredicates.forUnicodeProperty`: binary properties (`\p{IsAlphabetic}`), case-insensitive names. */
function forUnicodeProperty(name: string, caseInsensitive: boolean): ClassSet | undefined {
  const upper = name.toUpperCase();
  const key =
    { WHITESPACE: 'WHITE_SPACE', HEXDIGIT: 'HEX_DIGIT', NONCHARACTERCODEPOINT: 'NONCHARACTER_CODE_POINT', JOINCONTROL: 'JOIN_CONTROL' }[
      upper
    ] ?? upper;
  if (caseInsensitive && (key === 'LOWERCASE' || key === 'UPPERCASE' || key === 'TITLECASE')) return CASED();
  const js: Record<string, string> = {
    ALPHABETIC: 'Alphabetic',
    IDEOGRAPHIC: 'Ideographic',
    LETTER: 'L',
    LOWERCASE: 'Lowercase',
    UPPERCASE: 'Uppercase',
    TITLECASE: 'Lt',
    PUNCTUATION: 'P',
    CONTROL: 'Cc',
    WHITE_SPACE: 'White_Space',
    DIGIT: 'Nd',
    HEX_DIGIT: 'Hex_Digit',
    JOIN_CONTROL: 'Join_Control',
    NONCHARACTER_CODE_POINT: 'Noncharacter_Code_Point',
    EMOJI: 'Emoji',
    EMOJI_PRESENTATION: 'Emoji_Presentation',
    EMOJI_MODIFIER: 'Emoji_Modifier',
    EMOJI_MODIFIER_BASE: 'Emoji_Modifier_Base',
    EMOJI_COMPONENT: 'Emoji_Component',
    EXTENDED_PICTOGRAPHIC: 'Extended_Pictographic',
  };
  if (key === 'ASSIGNED') return set([], ['\\P{Cn}']);
  if (key === 'WORD') return UNICODE_WORD();
  const prop = js[key];
  return prop === undefined ? undefined : set([], [`\\p{${prop}}`]);
}

/** `Character.UnicodeScript.forName`: case-insensitive names and ISO 15924 aliases, checked against V8. */
function forUnicodeScript(name: string): ClassSet | undefined {
  if (!/^[A-Za-z_ ]+$/.test(name)) return undefined;
  const upper = name.toUpperCase();
  const candidates = [
    upper === 'SIGNWRITING' ? 'SignWriting' : upper === 'NKO' ? 'Nko' : upper === 'PHAGS_PA' ? 'Phags_Pa' : '',
    upper
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('_'),
    upper.charAt(0) + upper.slice(1).toLowerCase(),
  ];
  for (const c of candidates) {
    if (c === '' || !/^[A-Za-z_]+$/.test(c)) continue;
    try {
      new RegExp(`\\p{Script=${c}}`, 'u');
      return set([], [`\\p{Script=${c}}`]);
    } catch {
      // not a script name V8 knows under this spelling
    }
  }
  return undefined;
}

/**
 * Unicode blocks (`\p{InGreek}`): JavaScript has no block property, so the common blocks are
 * ranges; names as `Character.UnicodeBlock.forName` takes them (case, spaces and underscores aside).
 */
const BLOCKS: Record<string, Range> = {
  BASICLATIN: [0x0000, 0x007f],
  LATIN1SUPPLEMENT: [0x0080, 0x00ff],
  LATINEXTENDEDA: [0x0100, 0x017f],
  LATINEXTENDEDB: [0x0180, 0x024f],
  IPAEXTENSIONS: [0x0250, 0x02af],
  SPACINGMODIFIERLETTERS: [0x02b0, 0x02ff],
  COMBININGDIACRITICALMARKS: [0x0300, 0x036f],
  GREEK: [0x0370, 0x03ff],
  GREEKANDCOPTIC: [0x0370, 0x03ff],
  CYRILLIC: [0x0400, 0x04ff],
  CYRILLICSUPPLEMENTARY: [0x0500, 0x052f],
  CYRILLICSUPPLEMENT: [0x0500, 0x052f],
  ARMENIAN: [0x0530, 0x058f],
  HEBREW: [0x0590, 0x05ff],
  ARABIC: [0x0600, 0x06ff],
  DEVANAGARI: [0x0900, 0x097f],
  BENGALI: [0x0980, 0x09ff],
  THAI: [0x0e00, 0x0e7f],
  GEORGIAN: [0x10a0, 0x10ff],
  HANGULJAMO: [0x1100, 0x11ff],
  LATINEXTENDEDADDITIONAL: [0x1e00, 0x1eff],
  GREEKEXTENDED: [0x1f00, 0x1fff],
  GENERALPUNCTUATION: [0x2000, 0x206f],
  SUPERSCRIPTSANDSUBSCRIPTS: [0x2070, 0x209f],
  CURRENCYSYMBOLS: [0x20a0, 0x20cf],
  LETTERLIKESYMBOLS: [0x2100, 0x214f],
  NUMBERFORMS: [0x2150, 0x218f],
  ARROWS: [0x2190, 0x21ff],
  MATHEMATICALOPERATORS: [0x2200, 0x22ff],
  MISCELLANEOUSTECHNICAL: [0x2300, 0x23ff],
  BOXDRAWING: [0x2500, 0x257f],
  BLOCKELEMENTS: [0x2580, 0x259f],
  GEOMETRICSHAPES: [0x25a0, 0x25ff],
  MISCELLANEOUSSYMBOLS: [0x2600, 0x26ff],
  DINGBATS: [0x2700, 0x27bf],
  CJKSYMBOLSANDPUNCTUATION: [0x3000, 0x303f],
  HIRAGANA: [0x3040, 0x309f],
  KATAKANA: [0x30a0, 0x30ff],
  CJKUNIFIEDIDEOGRAPHS: [0x4e00, 0x9fff],
  HANGULSYLLABLES: [0xac00, 0xd7af],
  PRIVATEUSEAREA: [0xe000, 0xf8ff],
  ALPHABETICPRESENTATIONFORMS: [0xfb00, 0xfb4f],
  HALFWIDTHANDFULLWIDTHFORMS: [0xff00, 0xffef],
  SPECIALS: [0xfff0, 0xffff],
  MISCELLANEOUSSYMBOLSANDPICTOGRAPHS: [0x1f300, 0x1f5ff],
  EMOTICONS: [0x1f600, 0x1f64f],
  TRANSPORTANDMAPSYMBOLS: [0x1f680, 0x1f6ff],
  SUPPLEMENTALSYMBOLSANDPICTOGRAPHS: [0x1f900, 0x1f9ff],
};

// ---------------------------------------------------------------------------------------------
// Case folding (Java's CASE_INSENSITIVE, and UNICODE_CASE)
// ---------------------------------------------------------------------------------------------

/** `Character.toUpperCase`/`toLowerCase` (simple mappings: a multi-character full mapping leaves the character). */
function simpleCase(cp: number, upper: boolean): number {
  if (!upper && cp === 0x130) return 0x69;
  if (upper && ((cp >= 0x1f80 && cp <= 0x1f87) || (cp >= 0x1f90 && cp <= 0x1f97) || (cp >= 0x1fa0 && cp <= 0x1fa7))) return cp + 8;
  if (upper && (cp === 0x1fb3 || cp === 0x1fc3 || cp === 0x1ff3)) return cp + 9;
  const s = String.fromCodePoint(cp);
  const mapped = upper ? s.toUpperCase() : s.toLowerCase();
  const out = mapped.codePointAt(0)!;
  return mapped.length === String.fromCodePoint(out).length ? out : cp;
}

interface CaseTable {
  /** Characters with a case mapping: [cp, upper, lower]. */
  readonly cased: readonly (readonly [number, number, number])[];
  /** fold (lower(upper(c))) → the characters with that fold. */
  readonly byFold: ReadonlyMap<number, readonly number[]>;
}

let caseTable: CaseTable | undefined;

function getCaseTable(): CaseTable {
  if (caseTable !== undefined) return caseTable;
  const cased: [number, number, number][] = [];
  const byFold = new Map<number, number[]>();
  for (let cp = 0; cp <= 0x1ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const up = simpleCase(cp, true);
    const low = simpleCase(cp, false);
    if (up === cp && low === cp) continue;
    cased.push([cp, up, low]);
    const fold = simpleCase(up, false);
    for (const c of [cp, fold]) {
      const list = byFold.get(fold) ?? [];
      if (!list.includes(c)) list.push(c);
      byFold.set(fold, list);
    }
  }
  caseTable = { cased, byFold };
  return caseTable;
}

function isAsciiLetter(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
}

/** The characters one literal character matches under CASE_INSENSITIVE (`unicodeCase`: UNICODE_CASE). */
function foldChar(cp: number, unicodeCase: boolean): Range[] {
  if (!unicodeCase)
    return isAsciiLetter(cp)
      ? normalizeRanges([
          [cp, cp],
          [cp ^ 0x20, cp ^ 0x20],
        ])
      : [[cp, cp]];
  const up = simpleCase(cp, true);
  const fold = simpleCase(up, false);
  if (up === fold) return [[cp, cp]];
  const group = getCaseTable().byFold.get(fold) ?? [];
  return normalizeRanges([[cp, cp], ...group.map((c): Range => [c, c])]);
}

/** The characters a class range matches under CASE_INSENSITIVE: c, or its upper or lower case, in the range. */
function foldRange(lo: number, hi: number, unicodeCase: boolean): Range[] {
  const out: Range[] = [[lo, hi]];
  if (!unicodeCase) {
    for (const [a, b] of [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ] as const) {
      const l = Math.max(lo, a);
      const h = Math.min(hi, b);
      if (l <= h) out.push([l ^ 0x20, h ^ 0x20]);
    }
    return normalizeRanges(out);
  }
  for (const [cp, up, low] of getCaseTable().cased) {
    if ((up >= lo && up <= hi) || (low >= lo && low <= hi)) out.push([cp, cp]);
  }
  return normalizeRanges(out);
}

// ---------------------------------------------------------------------------------------------
// The parser
// ---------------------------------------------------------------------------------------------

/** A piece of emitted source: text, a capturing group's opening, or a backreference (numbered at the end). */
type Piece = string | { readonly open: number } | { readonly ref: number };

interface Term {
  readonly pieces: Piece[];
  /** 'char': one character or class, 'group': parenthesized (both quantifiable as they are); 'assertion': zero-width; 'sequence': anything else. */
  readonly kind: 'char' | 'group' | 'assertion' | 'sequence';
  /** The longest text it can match (Infinity when unbounded), for Java's lookbehind rule. */
  readonly maxLength: number;
}

type ScopeKind = 'plain' | 'optional' | 'repeat' | 'repeatOptional' | 'branch' | 'negative' | 'lookbehind';

interface GroupRecord {
  /** Java group number; undefined for a helper group (possessive/atomic emulation). */
  readonly java: number | undefined;
  readonly scopes: readonly number[];
  closed: boolean;
}

const SYNTAX_CHARS = new Set('^$\\.*+?()[]{}|/'.split('').map((c) => c.charCodeAt(0)));

function literal(cp: number): string {
  if (SYNTAX_CHARS.has(cp)) return '\\' + String.fromCharCode(cp);
  if (cp >= 0x20 && cp < 0x7f) return String.fromCharCode(cp);
  return classChar(cp);
}

function isDigit(cp: number | undefined): boolean {
  return cp !== undefined && cp >= 0x30 && cp <= 0x39;
}

function isHex(cp: number | undefined): boolean {
  return cp !== undefined && /[0-9a-fA-F]/.test(String.fromCharCode(cp));
}

function isAsciiSpace(cp: number | undefined): boolean {
  return cp === 0x20 || (cp !== undefined && cp >= 0x09 && cp <= 0x0d);
}

class Translator {
  private readonly cps: number[] = [];
  /** Characters inside `\Q…\E`: always literal. */
  private readonly quoted: boolean[] = [];
  private pos = 0;
  private flags: Flags;
  private readonly groups: GroupRecord[] = [];
  private javaGroupCount = 0;
  private readonly names = new Map<string, number>();
  private readonly scopeKinds: ScopeKind[] = [];
  private scopeStack: number[] = [];
  private readonly backrefs: { java: number; scopes: number[]; at: number; closed: boolean }[] = [];
  private lookbehindDepth = 0;
  private depth = 0;
  readonly needs: Needs = { unicode: false, sets: false };
  usesInputDependent = false;

  constructor(
    private readonly pattern: string,
    initialFlags: Flags,
    private readonly unicode: boolean,
    private readonly exact: boolean,
    private readonly capturesRead: boolean,
  ) {
    this.flags = initialFlags;
    this.removeQuoting();
  }

  /** Java's RemoveQEQuoting: `\Q…\E` text is literal, whatever it holds. */
  private removeQuoting(): void {
    const raw = Array.from(this.pattern, (c) => c.codePointAt(0)!);
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === 0x5c && raw[i + 1] === 0x51) {
        i += 2;
        while (i < raw.length && !(raw[i] === 0x5c && raw[i + 1] === 0x45)) {
          this.cps.push(raw[i]!);
          this.quoted.push(true);
          i++;
        }
        i++; // past `\E` (or the end)
        continue;
      }
      this.cps.push(c);
      this.quoted.push(false);
      if (c === 0x5c && i + 1 < raw.length) {
        this.cps.push(raw[i + 1]!);
        this.quoted.push(false);
        i++;
      }
    }
  }

  private syntax(description: string, at = this.pos): JavaRegexError {
    return new JavaRegexError('SYNTAX', description, at);
  }

  private unsupported(description: string, at = this.pos): JavaRegexError {
    return new JavaRegexError('UNSUPPORTED', description, at);
  }

  private get atEnd(): boolean {
    return this.pos >= this.cps.length;
  }

  /** The next significant character (comments mode skips whitespace and `#` comments), not consumed. */
  private peek(): number | undefined {
    if (this.flags.x) this.skipComments();
    return this.cps[this.pos];
  }

  private peekQuoted(): boolean {
    return this.quoted[this.pos] === true;
  }

  private skipComments(): void {
    for (;;) {
      const c = this.cps[this.pos];
      if (c === undefined || this.quoted[this.pos] === true) return;
      if (isAsciiSpace(c)) this.pos++;
      else if (c === 0x23) {
        while (this.pos < this.cps.length && !this.isLineTerminator(this.cps[this.pos]!)) this.pos++;
      } else return;
    }
  }

  private isLineTerminator(c: number): boolean {
    return this.flags.d ? c === 0x0a : c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
  }

  private scope<T>(kind: ScopeKind, body: () => T): { id: number; result: T } {
    const id = this.scopeKinds.length;
    this.scopeKinds.push(kind);
    this.scopeStack.push(id);
    try {
      return { id, result: body() };
    } finally {
      this.scopeStack.pop();
    }
  }

  translate(): { pieces: Piece[]; groupMap: number[]; names: Map<string, number> } {
    const term = this.disjunction();
    if (!this.atEnd) throw this.syntax("Unmatched closing ')'");
    this.checkCaptures();
    // Number the capturing groups in source order.
    const jsIndex: number[] = [];
    let n = 0;
    for (const p of term.pieces) if (typeof p === 'object' && 'open' in p) jsIndex[p.open] = ++n;
    const groupMap: number[] = [0];
    this.groups.forEach((g, id) => {
      if (g.java !== undefined) groupMap[g.java] = jsIndex[id]!;
    });
    const pieces = term.pieces.map((p) => (typeof p === 'string' ? p : 'open' in p ? p : { ref: jsIndex[p.ref]! }));
    return { pieces, groupMap, names: this.names };
  }

  /** Where JavaScript's captures differ from Java's, refuse rather than answer differently. */
  private checkCaptures(): void {
    const conditional = (id: number): boolean => {
      const k = this.scopeKinds[id];
      return k === 'optional' || k === 'repeatOptional' || k === 'branch' || k === 'negative';
    };
    for (const b of this.backrefs) {
      const group = this.groups.find((g) => g.java === b.java)!;
      if (!b.closed || group.scopes.some((s) => this.scopeKinds[s] === 'lookbehind')) {
        throw this.unsupported(`A backreference to group ${b.java} before that group has matched`, b.at);
      }
      // Java fails a backreference to a group that did not match; JavaScript matches it as empty.
      let k = 0;
      while (k < group.scopes.length && group.scopes[k] === b.scopes[k]) k++;
      if (group.scopes.slice(k).some(conditional)) {
        throw this.unsupported(
          `A backreference to group ${b.java}, which may not have matched (Java then fails, JavaScript matches empty)`,
          b.at,
        );
      }
    }
    if (!this.capturesRead) return;
    for (const g of this.groups) {
      if (g.java === undefined) continue;
      if (g.scopes.some((s) => this.scopeKinds[s] === 'lookbehind')) {
        throw this.unsupported(`Group ${g.java} is inside a lookbehind, where Java and JavaScript capture different text`, 0);
      }
      // Java keeps a group's text from an earlier repetition; JavaScript resets it on each one.
      const loop = g.scopes.findIndex((s) => this.scopeKinds[s] === 'repeat' || this.scopeKinds[s] === 'repeatOptional');
      if (loop !== -1 && g.scopes.slice(loop + 1).some(conditional)) {
        throw this.unsupported(
          `Group ${g.java} may not take part in every repetition of its loop (Java keeps its earlier text, JavaScript does not)`,
          0,
        );
      }
    }
  }

  private disjunction(): Term {
    const alternatives: Term[] = [];
    const ids: number[] = [];
    for (;;) {
      const { id, result } = this.scope('branch', () => this.sequence());
      alternatives.push(result);
      ids.push(id);
      if (this.peek() === 0x7c && !this.peekQuoted()) {
        this.pos++;
        continue;
      }
      break;
    }
    if (alternatives.length === 1) {
      this.scopeKinds[ids[0]!] = 'plain';
      return alternatives[0]!;
    }
    const pieces: Piece[] = [];
    alternatives.forEach((a, i) => {
      if (i > 0) pieces.push('|');
      pieces.push(...a.pieces);
    });
    return { pieces, kind: 'sequence', maxLength: Math.max(...alternatives.map((a) => a.maxLength)) };
  }

  private sequence(): Term {
    const pieces: Piece[] = [];
    let maxLength = 0;
    for (;;) {
      const c = this.peek();
      if (c === undefined) break;
      if (!this.peekQuoted() && (c === 0x7c || c === 0x29)) {
        if (c === 0x29 && this.depth === 0) throw this.syntax("Unmatched closing ')'");
        break;
      }
      const { id, result: atom } = this.scope('plain', () => this.atom());
      if (atom === undefined) continue; // an inline flag group
      const term = this.quantified(atom, id);
      pieces.push(...term.pieces);
      maxLength += term.maxLength;
    }
    return { pieces, kind: 'sequence', maxLength };
  }

  /** Whether nothing follows in the whole pattern (possessive and atomic then equal greedy). */
  private atPatternEnd(): boolean {
    if (this.depth > 0 || this.lookbehindDepth > 0) return false;
    const c = this.peek();
    return c === undefined || (c === 0x7c && !this.peekQuoted());
  }

  private quantified(atom: Term, scopeId: number): Term {
    const c = this.peek();
    if (c === undefined || this.peekQuoted()) return atom;
    let min: number;
    let max: number;
    const start = this.pos;
    if (c === 0x3f) [min, max] = [0, 1];
    else if (c === 0x2a) [min, max] = [0, Infinity];
    else if (c === 0x2b) [min, max] = [1, Infinity];
    else if (c === 0x7b) {
      this.pos++;
      const from = this.pos;
      while (isDigit(this.cps[this.pos])) this.pos++;
      if (from === this.pos) throw this.syntax('Illegal repetition', start);
      min = Number(String.fromCodePoint(...this.cps.slice(from, this.pos)));
      max = min;
      if (this.cps[this.pos] === 0x2c) {
        this.pos++;
        const from2 = this.pos;
        while (isDigit(this.cps[this.pos])) this.pos++;
        max = from2 === this.pos ? Infinity : Number(String.fromCodePoint(...this.cps.slice(from2, this.pos)));
      }
      if (this.cps[this.pos] !== 0x7d) throw this.syntax('Unclosed counted closure');
      if (max < min || min > 0x7fffffff || (max !== Infinity && max > 0x7fffffff)) throw this.syntax('Illegal repetition range', start);
    } else return atom;
    this.pos++;
    let mode: '' | '?' | '+' = '';
    const m = this.peek();
    if ((m === 0x3f || m === 0x2b) && !this.peekQuoted()) {
      mode = m === 0x3f ? '?' : '+';
      this.pos++;
    }
    const next = this.peek();
    if (next !== undefined && !this.peekQuoted() && (next === 0x3f || next === 0x2a || next === 0x2b)) {
      throw this.syntax(`Dangling meta character '${String.fromCodePoint(next)}'`);
    }
    if (max > 1) this.scopeKinds[scopeId] = min === 0 ? 'repeatOptional' : 'repeat';
    else if (min === 0) this.scopeKinds[scopeId] = 'optional';
    const quantifier =
      (min === 0 && max === 1
        ? '?'
        : min === 0 && max === Infinity
          ? '*'
          : min === 1 && max === Infinity
            ? '+'
            : min === max
              ? `{${min}}`
              : `{${min},${max === Infinity ? '' : max}}`) + (mode === '?' ? '?' : '');
    const body: Piece[] = atom.kind === 'char' || atom.kind === 'group' ? atom.pieces : ['(?:', ...atom.pieces, ')'];
    const maxLength = max === 0 || atom.maxLength === 0 ? 0 : max * atom.maxLength;
    if (mode !== '+' || this.atPatternEnd()) return { pieces: [...body, quantifier], kind: 'group', maxLength };
    return this.atomicWrap([...body, quantifier], maxLength);
  }

  /** `(?>X)` / possessive: the lookahead takes X's first match, the backreference consumes it, with no way back. */
  private atomicWrap(body: Piece[], maxLength: number): Term {
    if (this.lookbehindDepth > 0) throw this.unsupported('Possessive quantifiers and atomic groups inside a lookbehind are not supported');
    const id = this.groups.length;
    this.groups.push({ java: undefined, scopes: [...this.scopeStack], closed: true });
    return { pieces: ['(?=', { open: id }, ...body, '))', { ref: id }], kind: 'group', maxLength };
  }

  /** One atom; undefined for an inline flag group `(?i)`. */
  private atom(): Term | undefined {
    const start = this.pos;
    const quotedChar = this.peekQuoted();
    const c = this.cps[this.pos]!;
    this.pos++;
    const char = (pieces: Piece[]): Term => ({ pieces, kind: 'char', maxLength: 1 });
    if (quotedChar) return char([this.literalChar(c)]);
    switch (c) {
      case 0x28: // (
        return this.group();
      case 0x5b: // [
        return char([this.emit(this.classSet())]);
      case 0x2e: // .
        return char([this.dot()]);
      case 0x5e: // ^
        return this.caret();
      case 0x24: // $
        return this.dollar(this.flags.m);
      case 0x5c: // backslash
        return this.escape();
      case 0x2a:
      case 0x2b:
      case 0x3f:
        throw this.syntax(`Dangling meta character '${String.fromCodePoint(c)}'`, start);
      case 0x7b:
        throw this.syntax('Illegal repetition', start);
      default:
        return char([this.literalChar(c)]);
    }
  }

  private literalChar(cp: number): string {
    if (cp > 0xffff) this.needs.unicode = true;
    if (this.flags.i) {
      const folded = foldChar(cp, this.flags.u);
      if (folded.length > 1 || folded[0]![0] !== folded[0]![1]) return this.emit(set(folded));
    }
    return literal(cp);
  }

  private emit(c: ClassSet): string {
    return emitClass(simplify(c, this.unicode ? MAX_CP : 0xffff), this.needs);
  }

  private dot(): string {
    if (this.flags.s) return '[^]';
    return this.flags.d ? '[^\\n]' : '[^\\n\\r\\u0085\\u2028\\u2029]';
  }

  private caret(): Term {
    if (!this.flags.m) return { pieces: ['^'], kind: 'assertion', maxLength: 0 };
    // Java's MULTILINE `^`: after a line terminator (not between \r and \n), never at the end of input.
    const after = this.flags.d ? '(?<=\\n)' : '(?<=[\\n\\u0085\\u2028\\u2029]|\\r(?!\\n))';
    return { pieces: [`(?:^|${after})(?!$)`], kind: 'assertion', maxLength: 0 };
  }

  /** Java's `$` (multiline) and `\Z` (`$` without MULTILINE). */
  private dollar(multiline: boolean): Term {
    const assertion = (s: string): Term => ({ pieces: [s], kind: 'assertion', maxLength: 0 });
    if (multiline) {
      if (this.flags.d) return assertion('(?=\\n|$)');
      return assertion('(?=[\\r\\u0085\\u2028\\u2029]|(?<!\\r)\\n|$)');
    }
    this.usesInputDependent = true;
    if (!this.exact) return assertion('$');
    if (this.flags.d) return assertion('(?=\\n?$)');
    // At the end, or before a final line terminator (\r\n counting as one).
    return assertion('(?=(?:\\r\\n|[\\n\\r\\u0085\\u2028\\u2029])?$)(?!(?<=\\r)\\n$)');
  }

  private wordBoundary(negated: boolean): Term {
    const assertion = (s: string): Term => ({ pieces: [s], kind: 'assertion', maxLength: 0 });
    if (this.flags.U) {
      const w = this.emit(UNICODE_WORD());
      return assertion(negated ? `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))` : `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`);
    }
    this.usesInputDependent = true;
    if (!this.exact) return assertion(negated ? '\\B' : '\\b');
    // Java counts a non-spacing mark that follows a letter or digit as a word character.
    this.needs.unicode = true;
    const left = '(?<=[0-9A-Z_a-z]|[\\p{L}\\p{Nd}]\\p{Mn}*\\p{Mn})';
    const right = '(?=[0-9A-Z_a-z]|\\p{Mn}(?<=[\\p{L}\\p{Nd}]\\p{Mn}*\\p{Mn}))';
    const notLeft = left.replace('(?<=', '(?<!');
    const notRight = right.replace('(?=', '(?!');
    return assertion(negated ? `(?:${left}${right}|${notLeft}${notRight})` : `(?:${left}${notRight}|${notLeft}${right})`);
  }

  private group(): Term | undefined {
    const saved = this.flags;
    let term: Term;
    if (this.cps[this.pos] === 0x3f && !this.quoted[this.pos]) {
      this.pos++;
      const c = this.cps[this.pos];
      if (c === 0x3a) {
        this.pos++;
        term = this.groupBody(['(?:'], 'plain');
      } else if (c === 0x3d || c === 0x21) {
        this.pos++;
        term = this.groupBody([c === 0x3d ? '(?=' : '(?!'], c === 0x3d ? 'plain' : 'negative');
        term = { ...term, kind: 'assertion', maxLength: 0 };
      } else if (c === 0x3e) {
        this.pos++;
        const inner = this.groupBody(['(?:'], 'plain');
        term = this.atPatternEnd() ? inner : this.atomicWrap(inner.pieces, inner.maxLength);
      } else if (c === 0x3c && (this.cps[this.pos + 1] === 0x3d || this.cps[this.pos + 1] === 0x21)) {
        const negative = this.cps[this.pos + 1] === 0x21;
        this.pos += 2;
        this.lookbehindDepth++;
        try {
          term = this.groupBody([negative ? '(?<!' : '(?<='], 'lookbehind');
        } finally {
          this.lookbehindDepth--;
        }
        if (term.maxLength === Infinity) throw this.syntax('Look-behind group does not have an obvious maximum length', this.pos - 1);
        term = { ...term, kind: 'assertion', maxLength: 0 };
      } else if (c === 0x3c) {
        this.pos++;
        const name = this.groupName();
        if (this.names.has(name)) throw this.syntax(`Named capturing group <${name}> is already defined`);
        term = this.capturing(name);
      } else {
        this.inlineFlags();
        if (this.cps[this.pos] === 0x29) {
          this.pos++;
          return undefined; // the flags stay set until the end of the enclosing group
        }
        if (this.cps[this.pos] !== 0x3a) throw this.syntax('Unknown inline modifier');
        this.pos++;
        term = this.groupBody(['(?:'], 'plain');
      }
    } else {
      term = this.capturing(undefined);
    }
    this.flags = saved;
    return term;
  }

  private capturing(name: string | undefined): Term {
    const java = ++this.javaGroupCount;
    if (name !== undefined) this.names.set(name, java);
    const id = this.groups.length;
    const record: GroupRecord = { java, scopes: [...this.scopeStack], closed: false };
    this.groups.push(record);
    const body = this.groupBody([{ open: id }], 'plain');
    record.closed = true;
    return body;
  }

  /** The group's disjunction up to `)`, as `prefix … )`. */
  private groupBody(prefix: Piece[], kind: ScopeKind): Term {
    this.depth++;
    const { result } = this.scope(kind, () => this.disjunction());
    this.depth--;
    if (this.peek() !== 0x29 || this.peekQuoted()) throw this.syntax('Unclosed group');
    this.pos++;
    return { pieces: [...prefix, ...result.pieces, ')'], kind: 'group', maxLength: result.maxLength };
  }

  private groupName(): string {
    const from = this.pos;
    const first = this.cps[this.pos];
    if (first === undefined || !isAsciiLetter(first)) throw this.syntax('capturing group name does not start with a Latin letter');
    while (this.pos < this.cps.length && (isAsciiLetter(this.cps[this.pos]!) || isDigit(this.cps[this.pos]))) this.pos++;
    if (this.cps[this.pos] !== 0x3e) throw this.syntax("named capturing group is missing trailing '>'");
    const name = String.fromCodePoint(...this.cps.slice(from, this.pos));
    this.pos++;
    return name;
  }

  private inlineFlags(): void {
    let on = true;
    const f: { -readonly [K in keyof Flags]: boolean } = { ...this.flags };
    for (;;) {
      const c = this.cps[this.pos];
      const letter = c === undefined ? '' : String.fromCodePoint(c);
      if (letter === '-') on = false;
      else if (letter === 'c') throw this.unsupported('CANON_EQ (?c) is not supported');
      else if ('imsxudU'.includes(letter) && letter !== '') {
        f[letter as keyof Flags] = on;
        // UNICODE_CHARACTER_CLASS implies UNICODE_CASE
        if (letter === 'U') f.u = on;
      } else break;
      this.pos++;
    }
    this.flags = f;
  }

  // -- escapes ----------------------------------------------------------------------------------

  private escape(): Term {
    const at = this.pos - 1;
    const c = this.cps[this.pos];
    if (c === undefined) throw this.syntax('Unexpected internal error', this.pos);
    this.pos++;
    const ch = String.fromCodePoint(c);
    const char = (pieces: Piece[]): Term => ({ pieces, kind: 'char', maxLength: 1 });
    const assertion = (s: string): Term => ({ pieces: [s], kind: 'assertion', maxLength: 0 });
    switch (ch) {
      case 'A':
        return assertion('^');
      case 'z':
        return assertion('$');
      case 'Z':
        return this.dollar(false);
      case 'b':
        if (this.cps[this.pos] === 0x7b) throw this.unsupported('\\b{g} (grapheme cluster boundary) is not supported', at);
        return this.wordBoundary(false);
      case 'B':
        return this.wordBoundary(true);
      case 'G':
        throw this.unsupported('\\G (end of the previous match) is not supported', at);
      case 'X':
        throw this.unsupported('\\X (grapheme cluster) is not supported', at);
      case 'N':
        throw this.unsupported('\\N{name} (named character) is not supported', at);
      case 'R':
        return { pieces: ['(?:\\r\\n|[\\n\\u000B\\f\\r\\u0085\\u2028\\u2029])'], kind: 'group', maxLength: 2 };
      case 'k': {
        if (this.cps[this.pos] !== 0x3c) throw this.syntax("\\k is not followed by '<' for named capturing group");
        this.pos++;
        const name = this.groupName();
        const java = this.names.get(name);
        if (java === undefined) throw this.syntax(`named capturing group <${name}> does not exist`);
        return this.backreference(java, at);
      }
      default:
        break;
    }
    if (c >= 0x31 && c <= 0x39) {
      // Java: more digits join while they name an existing group.
      let ref = c - 0x30;
      while (isDigit(this.cps[this.pos]) && ref * 10 + (this.cps[this.pos]! - 0x30) <= this.javaGroupCount) {
        ref = ref * 10 + (this.cps[this.pos]! - 0x30);
        this.pos++;
      }
      return this.backreference(ref, at);
    }
    this.pos = at;
    const item = this.classEscape();
    if (typeof item === 'number') return char([this.literalChar(item)]);
    return char([this.emit(item)]);
  }

  private backreference(java: number, at: number): Term {
    if (this.flags.i) throw this.unsupported('A backreference under CASE_INSENSITIVE is not supported', at);
    if (this.lookbehindDepth > 0) throw this.syntax('Look-behind group does not have an obvious maximum length', at);
    if (java > this.javaGroupCount) throw this.unsupported(`A backreference to group ${java} before that group has matched`, at);
    const id = this.groups.findIndex((g) => g.java === java);
    this.backrefs.push({ java, scopes: [...this.scopeStack], at, closed: this.groups[id]!.closed });
    return { pieces: ['(?:', { ref: id }, ')'], kind: 'group', maxLength: Infinity };
  }

  /**
   * An escape valid in and out of classes (at `\`): a character, or a class (`\d`, `\p{L}`…).
   * Java: "It is an error to use a backslash prior to any alphabetic character that does not
   * denote an escaped construct".
   */
  private classEscape(): number | ClassSet {
    const at = this.pos;
    this.pos++; // the backslash
    const c = this.cps[this.pos];
    if (c === undefined) throw this.syntax('Unexpected internal error', at);
    this.pos++;
    const U = this.flags.U;
    switch (String.fromCodePoint(c)) {
      case 't':
        return 0x09;
      case 'n':
        return 0x0a;
      case 'r':
        return 0x0d;
      case 'f':
        return 0x0c;
      case 'a':
        return 0x07;
      case 'e':
        return 0x1b;
      case 'c': {
        const x = this.cps[this.pos];
        if (x === undefined) throw this.syntax('Illegal control escape sequence');
        this.pos++;
        return x ^ 64;
      }
      case '0':
        return this.octal();
      case 'x':
        return this.hexEscape();
      case 'u':
        return this.unicodeEscape();
      case 'd':
        return U ? set([], ['\\p{Nd}']) : set(ASCII_DIGIT);
      case 'D':
        return U ? set([], ['\\P{Nd}']) : set(ASCII_DIGIT, [], [], true);
      case 's':
        return U ? set([], ['\\p{White_Space}']) : set(ASCII_SPACE);
      case 'S':
        return U ? set([], ['\\P{White_Space}']) : set(ASCII_SPACE, [], [], true);
      case 'w':
        return U ? UNICODE_WORD() : set(ASCII_WORD);
      case 'W':
        return U ? { ...UNICODE_WORD(), negated: true } : set(ASCII_WORD, [], [], true);
      case 'h':
        return set(HORIZONTAL_SPACE);
      case 'H':
        return set(HORIZONTAL_SPACE, [], [], true);
      case 'v':
        return set(VERTICAL_SPACE);
      case 'V':
        return set(VERTICAL_SPACE, [], [], true);
      case 'p':
      case 'P':
        return this.property(c === 0x50, at);
      default:
        break;
    }
    if (isAsciiLetter(c) || isDigit(c)) {
      throw this.syntax('Illegal/unsupported escape sequence', at + 1);
    }
    return c;
  }

  private octal(): number {
    const digit = (i: number): number | undefined => {
      const c = this.cps[this.pos + i];
      return c !== undefined && c >= 0x30 && c <= 0x37 && this.quoted[this.pos + i] !== true ? c - 0x30 : undefined;
    };
    const n = digit(0);
    if (n === undefined) throw this.syntax('Illegal octal escape sequence');
    const m = digit(1);
    if (m === undefined) {
      this.pos += 1;
      return n;
    }
    const o = digit(2);
    if (o !== undefined && n <= 3) {
      this.pos += 3;
      return n * 64 + m * 8 + o;
    }
    this.pos += 2;
    return n * 8 + m;
  }

  private hexEscape(): number {
    if (this.cps[this.pos] === 0x7b) {
      const from = this.pos + 1;
      let end = from;
      while (isHex(this.cps[end])) end++;
      if (end === from || this.cps[end] !== 0x7d) throw this.syntax('Unclosed hexadecimal escape sequence');
      const value = parseInt(String.fromCodePoint(...this.cps.slice(from, end)), 16);
      if (value > MAX_CP) throw this.syntax('Hexadecimal codepoint is too big');
      this.pos = end + 1;
      return value;
    }
    if (isHex(this.cps[this.pos]) && isHex(this.cps[this.pos + 1])) {
      const value = parseInt(String.fromCodePoint(this.cps[this.pos]!, this.cps[this.pos + 1]!), 16);
      this.pos += 2;
      return value;
    }
    throw this.syntax('Illegal hexadecimal escape sequence');
  }

  private unicodeEscape(): number {
    const four = (): number => {
      for (let i = 0; i < 4; i++) if (!isHex(this.cps[this.pos + i])) throw this.syntax('Illegal Unicode escape sequence');
      const v = parseInt(String.fromCodePoint(...this.cps.slice(this.pos, this.pos + 4)), 16);
      this.pos += 4;
      return v;
    };
    const n = four();
    // Java joins `\uD83D\uDE00` into one code point.
    if (n >= 0xd800 && n <= 0xdbff && this.cps[this.pos] === 0x5c && this.cps[this.pos + 1] === 0x75) {
      const save = this.pos;
      this.pos += 2;
      try {
        const low = four();
        if (low >= 0xdc00 && low <= 0xdfff) return 0x10000 + ((n - 0xd800) << 10) + (low - 0xdc00);
      } catch {
        // not a second \u escape: the high surrogate stands alone
      }
      this.pos = save;
    }
    return n;
  }

  /** `\p{…}`/`\P{…}`/`\pL`, by Java's `Pattern.family` rules. */
  private property(complement: boolean, at: number): ClassSet {
    let name: string;
    if (this.cps[this.pos] === 0x7b) {
      const end = this.cps.indexOf(0x7d, this.pos);
      if (end === -1) throw this.syntax('Unclosed character family');
      if (end === this.pos + 1) throw this.syntax('Empty character family');
      name = String.fromCodePoint(...this.cps.slice(this.pos + 1, end));
      this.pos = end + 1;
    } else {
      const c = this.cps[this.pos];
      if (c === undefined) throw this.syntax('Illegal/unsupported escape sequence');
      name = String.fromCodePoint(c);
      this.pos++;
    }
    const ci = this.flags.i;
    let result: ClassSet | undefined;
    const eq = name.indexOf('=');
    if (eq !== -1) {
      const key = name.slice(0, eq).toLowerCase();
      const value = name.slice(eq + 1);
      if (key === 'sc' || key === 'script') result = forUnicodeScript(value);
      else if (key === 'blk' || key === 'block') result = this.block(value, at);
      else if (key === 'gc' || key === 'general_category') result = forProperty(value, ci);
      if (result === undefined) throw this.syntax(`Unknown Unicode property {name=<${key}>, value=<${value}>}`);
    } else {
      if (name.startsWith('In')) result = this.block(name.slice(2), at);
      else if (name.startsWith('Is')) {
        const short = name.slice(2);
        result = forUnicodeProperty(short, ci) ?? forProperty(short, ci) ?? forUnicodeScript(short);
      } else {
        if (this.flags.U) result = posixUnicode(name.toUpperCase());
        result ??= forProperty(name, ci);
      }
      if (result === undefined) throw this.syntax(`Unknown character property name {${name}}`);
    }
    return complement ? { ...result, negated: !result.negated } : result;
  }

  private block(name: string, at: number): ClassSet {
    const key = name.toUpperCase().replace(/[ _-]/g, '');
    const range = BLOCKS[key];
    if (range !== undefined) return set([range]);
    throw this.unsupported(
      `Unicode block '${name}' is not supported (JavaScript has no block property; use a script such as \\p{IsGreek}, or a range)`,
      at,
    );
  }

  // -- classes ----------------------------------------------------------------------------------

  /** A class after its `[`, through its `]` (Java 9+: `^` negates the whole class, `&&` intersects). */
  private classSet(): ClassSet {
    let negated = false;
    if (this.peek() === 0x5e && !this.peekQuoted()) {
      this.pos++;
      negated = true;
    }
    const operands: ClassSet[] = [];
    let current = set([]);
    let hasItems = false;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw this.syntax('Unclosed character class', this.cps.length - 1);
      const quoted = this.peekQuoted();
      if (!quoted && c === 0x5d && (hasItems || operands.length > 0)) {
        this.pos++;
        break;
      }
      if (!quoted && c === 0x5b) {
        this.pos++;
        current.nested.push(this.classSet());
        hasItems = true;
        continue;
      }
      if (!quoted && c === 0x26 && this.cps[this.pos + 1] === 0x26 && this.quoted[this.pos + 1] !== true) {
        this.pos += 2;
        if (hasItems) operands.push(current);
        current = set([]);
        hasItems = false;
        continue;
      }
      const item = this.classAtom();
      hasItems = true;
      if (typeof item !== 'number') {
        current.nested.push(item);
        continue;
      }
      // A range `a-z` (a `-` before `]` or `[` is a literal).
      let hi = item;
      if (this.peek() === 0x2d && !this.peekQuoted()) {
        const save = this.pos;
        this.pos++;
        const n = this.peek();
        if (n === undefined || (!this.peekQuoted() && (n === 0x5d || n === 0x5b))) this.pos = save;
        else {
          const end = this.classAtom();
          if (typeof end !== 'number' || end < item) throw this.syntax('Illegal character range', this.pos - 1);
          hi = end;
        }
      }
      if (hi > 0xffff) this.needs.unicode = true;
      current.ranges.push(
        ...(this.flags.i ? (hi === item ? foldChar(item, this.flags.u) : foldRange(item, hi, this.flags.u)) : [[item, hi] as Range]),
      );
    }
    if (hasItems || operands.length === 0) operands.push(current);
    const whole: ClassSet = operands.length === 1 ? operands[0]! : { negated: false, ranges: [], props: [], nested: [], and: operands };
    return { negated, ranges: [], props: [], nested: [whole] };
  }

  private classAtom(): number | ClassSet {
    const c = this.cps[this.pos]!;
    if (this.quoted[this.pos] === true || c !== 0x5c) {
      this.pos++;
      return c;
    }
    const next = this.cps[this.pos + 1];
    if (next !== undefined && 'bBAzZGXRNk123456789'.includes(String.fromCodePoint(next))) {
      throw this.syntax('Illegal/unsupported escape sequence', this.pos + 1);
    }
    return this.classEscape();
  }
}

function parseFlags(letters: string): Flags {
  const f: { -readonly [K in keyof Flags]: boolean } = { ...NO_FLAGS };
  for (const l of letters) {
    if (!'imsxuUd'.includes(l)) throw new JavaRegexError('SYNTAX', `Unknown flag '${l}'`, 0);
    f[l as keyof Flags] = true;
    if (l === 'U') f.u = true;
  }
  return f;
}

function render(pieces: readonly Piece[]): string {
  return pieces.map((p) => (typeof p === 'string' ? p : 'open' in p ? '(' : `\\${p.ref}`)).join('');
}

/**
 * Translates a Java pattern. `unicode` forces code-point matching (the `u` flag), for inputs with
 * supplementary characters; without it the flag is set only where a construct needs it.
 * Throws {@link JavaRegexError}.
 */
export function translateJavaRegex(pattern: string, options: JavaRegexOptions & { readonly unicode?: boolean } = {}): JavaRegexTranslation {
  const flags = parseFlags(options.flags ?? '');
  const capturesRead = options.capturesRead ?? true;
  const run = (exact: boolean): { t: Translator; out: ReturnType<Translator['translate']> } => {
    let t = new Translator(pattern, flags, options.unicode === true, exact, capturesRead);
    let out = t.translate();
    if (options.unicode !== true && t.needs.unicode) {
      // Complements of classes were computed over the BMP: redo them over every code point.
      t = new Translator(pattern, flags, true, exact, capturesRead);
      out = t.translate();
    }
    return { t, out };
  };
  const variant = ({ t, out }: ReturnType<typeof run>): JavaRegexSource => ({
    source: render(out.pieces),
    flags: t.needs.sets ? 'v' : options.unicode === true || t.needs.unicode ? 'u' : '',
  });
  const exact = run(true);
  const plain = exact.t.usesInputDependent ? run(false) : exact;
  return { exact: variant(exact), plain: variant(plain), groupMap: exact.out.groupMap, groupNames: exact.out.names };
}

// ---------------------------------------------------------------------------------------------
// Compiled patterns, per input
// ---------------------------------------------------------------------------------------------

const SURROGATE = /[\uD800-\uDFFF]/;
const NON_SPACING_MARK = /\p{Mn}/u;
const ENDS_WITH_LINE_TERMINATOR = /[\n\r\u0085\u2028\u2029]$/;

/**
 * A Java pattern ready to run: the RegExp for a given input (see the module comment) and the map
 * from Java's group numbers to JavaScript's.
 */
/** Compiled patterns by flags and text, oldest first (a JavaPattern holds no state between uses). */
const PATTERN_CACHE = new Map<string, JavaPattern>();
const PATTERN_CACHE_SIZE = 500;

export class JavaPattern {
  readonly groupMap: readonly number[];
  readonly groupNames: ReadonlyMap<string, number>;
  /** Java's `groupCount()`. */
  readonly groupCount: number;
  private readonly bmp: JavaRegexTranslation;
  private unicodeVariant: JavaRegexTranslation | undefined;
  private readonly compiled = new Map<string, RegExp>();

  private constructor(
    readonly pattern: string,
    private readonly options: JavaRegexOptions,
    private readonly regexFlags: string,
  ) {
    this.bmp = translateJavaRegex(pattern, options);
    this.groupMap = this.bmp.groupMap;
    this.groupNames = this.bmp.groupNames;
    this.groupCount = this.bmp.groupMap.length - 1;
    // Compile now, so a translation V8 rejects fails here and not at the first input.
    this.regexFor('');
  }

  /**
   * Compiles `pattern`; `regexFlags` are extra RegExp flags (`g`). Throws {@link JavaRegexError} or
   * V8's SyntaxError. Patterns are remembered (a `split(',')` in a loop translates once).
   */
  static compile(pattern: string, options: JavaRegexOptions = {}, regexFlags = ''): JavaPattern {
    const key = `${regexFlags}\u0000${options.flags ?? ''}\u0000${options.capturesRead === true ? 1 : 0}\u0000${pattern}`;
    let compiled = PATTERN_CACHE.get(key);
    if (compiled === undefined) {
      compiled = new JavaPattern(pattern, options, regexFlags);
      if (PATTERN_CACHE.size >= PATTERN_CACHE_SIZE) PATTERN_CACHE.delete(PATTERN_CACHE.keys().next().value as string);
      PATTERN_CACHE.set(key, compiled);
    }
    return compiled;
  }

  /** The RegExp that matches `input` as Java's pattern would (state such as `lastIndex` is shared: reset it). */
  regexFor(input: string): RegExp {
    let t = this.bmp;
    const exact = t.exact.source !== t.plain.source && (ENDS_WITH_LINE_TERMINATOR.test(input) || NON_SPACING_MARK.test(input));
    if ((exact ? t.exact : t.plain).flags === '' && SURROGATE.test(input)) {
      t = this.unicodeVariant ??= translateJavaRegex(this.pattern, { ...this.options, unicode: true });
    }
    const { source, flags } = exact ? t.exact : t.plain;
    const key = `${flags}/${source}`;
    let re = this.compiled.get(key);
    if (re === undefined) {
      re = compileRegex(source, flags + this.regexFlags);
      this.compiled.set(key, re);
    }
    re.lastIndex = 0;
    return re;
  }

  /** Java's `Matcher.matches()`: whether the whole input matches. */
  matchesWhole(input: string): boolean {
    const re = this.regexFor(input);
    const key = `whole:${re.flags}/${re.source}`;
    let whole = this.compiled.get(key);
    if (whole === undefined) {
      whole = compileRegex(`^(?:${re.source})$`, re.flags.replace('g', ''));
      this.compiled.set(key, whole);
    }
    return whole.test(input);
  }
}

/**
 * Java's `Matcher.appendReplacement` syntax — `$n`, `${name}`, `\x` for a literal x — as a
 * `String.prototype.replace` replacer for `pattern`'s RegExp (groups through the group map).
 * Error texts are Java's exceptions'.
 */
export function javaReplacer(
  replacement: string,
  pattern: JavaPattern,
  error: (message: string) => Error,
): (match: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const jsGroups = rest.slice(0, typeof last === 'object' && last !== null ? -3 : -2) as (string | undefined)[];
    const group = (java: number): string => (java === 0 ? match : (jsGroups[pattern.groupMap[java]! - 1] ?? ''));
    let out = '';
    for (let i = 0; i < replacement.length; i++) {
      const c = replacement[i] as string;
      if (c === '\\') {
        i++;
        if (i >= replacement.length) throw error('character to be escaped is missing');
        out += replacement[i];
      } else if (c === '$') {
        i++;
        if (replacement[i] === '{') {
          const end = replacement.indexOf('}', i);
          if (end === -1) throw error("named capturing group is missing trailing '}'");
          const name = replacement.slice(i + 1, end);
          const java = pattern.groupNames.get(name);
          if (java === undefined) throw error(`No group with name {${name}}`);
          out += group(java);
          i = end;
        } else {
          const d = replacement[i];
          if (d === undefined || !/\d/.test(d)) throw error('Illegal group reference');
          let ref = Number(d);
          if (ref > pattern.groupCount) throw error(`No group ${ref}`);
          while (
            i + 1 < replacement.length &&
            /\d/.test(replacement[i + 1] as string) &&
            ref * 10 + Number(replacement[i + 1]) <= pattern.groupCount
          ) {
            ref = ref * 10 + Number(replacement[i + 1]);
            i++;
          }
          out += group(ref);
        }
      } else {
        out += c;
      }
    }
    return out;
  };
}

/** Java's `Matcher.replaceAll(replacement)` for every match of `pattern` in `input` (within the budget's `maxRegexTime`). */
export function javaReplaceAll(
  pattern: JavaPattern,
  input: string,
  replacement: string,
  error: (message: string) => Error,
  budget?: CallBudget,
): MaybePromise<string> {
  return replaceAll(pattern.regexFor(input), input, javaReplacer(replacement, pattern, error), budget);
}
