/** Amazon Ion: `toIon` filter (Ion text, as Jackson's Ion mapper writes it) and `fromIon` function. */
import { IonTypes, dom, loadAll, makeTextWriter } from 'ion-js';
import type { Writer } from 'ion-js';
import type { FilterDefinition, FunctionDefinition } from '../../extension.js';
import { JDouble, ValueWalk, isList, isMap, makeDouble, newMap, toJavaString } from '../../values.js';
import { functionError } from './common.js';
import { integralFromText } from './json.js';
import { JBigDecimal, JBigInteger, JFloat } from './numbers.js';

function writeIon(w: Writer, value: unknown, depth: number, walk: ValueWalk): void {
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
    for (const k of Object.keys(value)) {
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
  const w = makeTextWriter();
  writeIon(w, value, 0, new ValueWalk());
  w.close();
  return new TextDecoder().decode(w.getBytes());
}

/** An ion-js value as the engine's values (Integer/Long, Double, lists, maps; decimals as doubles). */
export function ionToJava(v: dom.Value | null, depth: number): unknown {
  if (depth > 1000) throw new Error('Ion nesting too deep');
  if (v === null || v.isNull()) return null;
  switch (v.getType()) {
    case IonTypes.BOOL:
      return v.booleanValue();
    case IonTypes.INT:
      return integralFromText(String(v.bigIntValue()));
    case IonTypes.FLOAT:
      return makeDouble(v.numberValue() as number);
    case IonTypes.DECIMAL: {
      const text = v.decimalValue()?.toString() ?? '0';
      return makeDouble(Number(text.replace(/d/i, 'e')));
    }
    case IonTypes.TIMESTAMP:
      return v.timestampValue()?.toString() ?? null;
    case IonTypes.STRING:
    case IonTypes.SYMBOL:
      return v.stringValue();
    case IonTypes.LIST:
    case IonTypes.SEXP:
      return v.elements().map((item) => ionToJava(item, depth + 1));
    case IonTypes.STRUCT: {
      const out = newMap();
      for (const [k, item] of v.fields()) out[k] = ionToJava(item, depth + 1);
      return out;
    }
    case IonTypes.BLOB:
    case IonTypes.CLOB:
      return Buffer.from(v.uInt8ArrayValue() ?? new Uint8Array()).toString('base64');
    default:
      return null;
  }
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
    let values: dom.Value[];
    try {
      values = loadAll(ion);
    } catch (e) {
      throw functionError(`Invalid ion: ${(e as Error).message}`, e);
    }
    if (allRows === true) return values.map((v) => ionToJava(v, 0));
    return values.length === 0 ? null : ionToJava(values[0] ?? null, 0);
  },
};

export const ionFilters: Record<string, FilterDefinition> = { toIon };
export const ionFunctions: Record<string, FunctionDefinition> = { fromIon };
