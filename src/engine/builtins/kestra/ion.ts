/** Amazon Ion: `toIon` filter (Ion text, as Jackson's Ion mapper writes it) and `fromIon` function. */
import type { Reader, Writer } from 'ion-js';
import { ionJs } from './ion-js.js';
import type { FilterDefinition, FunctionDefinition } from '../../extension.js';
import { JDouble, OrderedMapBuilder, ValueWalk, isList, isMap, makeDouble, mapKeys, toJavaString } from '../../values.js';
import { functionError } from './common.js';
import { integralFromText } from './json.js';
import { JBigDecimal, JBigInteger, JFloat } from './numbers.js';

function writeIon(w: Writer, value: unknown, depth: number, walk: ValueWalk): void {
  const { IonTypes, dom } = ionJs();
  if (depth > 1000) throw functionError('Value nesting depth exceeds the maximum allowed');
  if (value === null || value === undefined) return w.writeNull(IonTypes.NULL);
  switch (typeof value) {
    case 'string':
      return w.writeString(value);
    case 'boolean':
      return w.writeBoolean(value);
    case 'bigint':
      return w.writeInt(value);
    case 'number':
      if (Number.isInteger(value) && !Object.is(value, -0)) return w.writeInt(value);
      return w.writeFloat64(value);
    default:
      break;
  }
  if (value instanceof JBigInteger) return w.writeInt(value.big);
  if (value instanceof JBigDecimal) return w.writeDecimal(dom.load(value.toString().replace('E', 'd'))?.decimalValue() ?? null);
  // A Float is widened to double on the way out, as Jackson's Ion writer does (1.123F prints 1.1230000257492065e0).
  if (value instanceof JFloat) return w.writeFloat64(Math.fround(value.value));
  if (value instanceof JDouble) return w.writeFloat64(value.value);
  if (isList(value)) {
    walk.enter();
    w.stepIn(IonTypes.LIST);
    for (const item of value) writeIon(w, item, depth + 1, walk);
    return w.stepOut();
  }
  if (isMap(value)) {
    walk.enter();
    w.stepIn(IonTypes.STRUCT);
    for (const k of mapKeys(value)) {
      const v = value[k];
      // Kestra's mappers leave out null-valued entries.
      if (v === null || v === undefined) continue;
      w.writeFieldName(k);
      writeIon(w, v, depth + 1, walk);
    }
    return w.stepOut();
  }
  return w.writeString(toJavaString(value));
}

export function toIonText(value: unknown): string {
  const { makeTextWriter } = ionJs();
  const w = makeTextWriter();
  writeIon(w, value, 0, new ValueWalk());
  w.close();
  return new TextDecoder().decode(w.getBytes());
}

/**
 * The value the reader stands on, as the engine's values (Integer/Long, Double, lists, maps; decimals as doubles). Structs are read field by
 * field so they keep their order, as Jackson's Ion reader does (ion-js's DOM keeps fields in a
 * JavaScript object, which lists integer-like names first).
 */
function readIonValue(r: Reader, depth: number): unknown {
  const { IonTypes } = ionJs();
  if (depth > 1000) throw new Error('Ion nesting too deep');
  const type = r.type();
  if (type === null || r.isNull()) return null;
  switch (type) {
    case IonTypes.BOOL:
      return r.booleanValue();
    case IonTypes.INT:
      return integralFromText(String(r.bigIntValue()));
    case IonTypes.FLOAT:
      return makeDouble(r.numberValue() as number);
    case IonTypes.DECIMAL: {
      const text = r.decimalValue()?.toString() ?? '0';
      return makeDouble(Number(text.replace(/d/i, 'e')));
    }
    case IonTypes.TIMESTAMP:
      return r.timestampValue()?.toString() ?? null;
    case IonTypes.STRING:
    case IonTypes.SYMBOL:
      return r.stringValue();
    case IonTypes.LIST:
    case IonTypes.SEXP: {
      const out: unknown[] = [];
      r.stepIn();
      while (r.next() !== null) out.push(readIonValue(r, depth + 1));
      r.stepOut();
      return out;
    }
    case IonTypes.STRUCT: {
      const out = new OrderedMapBuilder();
      r.stepIn();
      while (r.next() !== null) out.set(r.fieldName() ?? '', readIonValue(r, depth + 1));
      r.stepOut();
      return out.build();
    }
    case IonTypes.BLOB:
    case IonTypes.CLOB:
      return Buffer.from(r.uInt8ArrayValue() ?? new Uint8Array()).toString('base64');
    default:
      return null;
  }
}

/** Every top-level value of an Ion text or binary document, as the engine's values (struct field order kept). */
export function readIonAll(ion: string | Uint8Array): unknown[] {
  const { makeReader } = ionJs();
  const r = makeReader(ion);
  const out: unknown[] = [];
  while (r.next() !== null) out.push(readIonValue(r, 0));
  return out;
}

const toIon: FilterDefinition = {
  call(input) {
    if (input === null || input === undefined) return 'null';
    return toIonText(input);
  },
};

const fromIon: FunctionDefinition = {
  argNames: ['ion', 'allRows'],
  call(args) {
    if (!Object.hasOwn(args, 'ion')) throw functionError(`The 'fromIon' function expects an argument 'ion'.`);
    const ion = args['ion'];
    if (ion === null || ion === undefined) return null;
    // read() gives bytes for binary Ion files in newer Kestra; those are accepted too.
    if (typeof ion !== 'string' && !(ion instanceof Uint8Array)) {
      throw functionError(`The 'fromIon' function expects an argument 'ion' with type string.`);
    }
    const allRows = args['allRows'];
    if (allRows !== undefined && allRows !== null && typeof allRows !== 'boolean') {
      throw functionError(`The 'fromIon' function expects an argument 'allRows' with type boolean.`);
    }
    let values: unknown[];
    try {
      values = readIonAll(ion);
    } catch (e) {
      throw functionError(`Invalid ion: ${(e as Error).message}`, e);
    }
    if (allRows === true) return values;
    return values.length === 0 ? null : values[0];
  },
};

export const ionFilters: Record<string, FilterDefinition> = { toIon };
export const ionFunctions: Record<string, FunctionDefinition> = { fromIon };
