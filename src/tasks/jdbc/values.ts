/**
 * A row cell as Kestra's plugin-jdbc hands it on: the Java value its `CellConverter` returns
 * (Integer, Long, Float, Double, BigDecimal, String, Boolean, byte[], arrays, maps, and the
 * java.time types). Two projections of it:
 * - the task outputs (`row`, `rows`): Kestra turns outputs into JSON-like maps with its Jackson
 *   mapper, so dates become ISO strings (ZonedDateTime and OffsetDateTime in the worker's zone, as
 *   Jackson writes them with the mapper's time zone), byte[] a base64 string, nulls left out of
 *   nested maps (`NON_NULL`; the `row` map itself keeps them: `@JsonInclude` on the field);
 * - the STORE file: Ion as `FileSerde.write` writes it with Kestra's `IonModule` — LocalDate and
 *   Instant as Ion timestamps, the other java.time values as strings annotated with their class.
 */
import {
  DateTimeFormatter,
  type Instant,
  type LocalDate,
  type LocalDateTime,
  type LocalTime,
  type ZonedDateTime,
  ZoneId,
  ZoneOffset,
} from '@js-joda/core';
import { systemZone } from '../../engine/builtins/kestra/dates.js';
import { JBigInteger } from '../../engine/builtins/kestra/numbers.js';
import { isList, isMap } from '../../engine/values.js';
import { toIonLine } from '../../serdes/ion.js';

export type JavaTimeKind = 'LocalDate' | 'LocalTime' | 'LocalDateTime' | 'ZonedDateTime' | 'OffsetDateTime' | 'Instant';

/** One java.time value: what Jackson writes for it in outputs, and what Kestra's Ion module writes. */
export class JavaTime {
  private constructor(
    readonly kind: JavaTimeKind,
    private readonly value: LocalDate | LocalTime | LocalDateTime | ZonedDateTime | Instant,
  ) {}

  static localDate(v: LocalDate): JavaTime {
    return new JavaTime('LocalDate', v);
  }
  static localTime(v: LocalTime): JavaTime {
    return new JavaTime('LocalTime', v);
  }
  static localDateTime(v: LocalDateTime): JavaTime {
    return new JavaTime('LocalDateTime', v);
  }
  static zoned(v: ZonedDateTime): JavaTime {
    return new JavaTime('ZonedDateTime', v);
  }
  /** An OffsetDateTime (kept as a ZonedDateTime at a fixed offset). */
  static offset(v: ZonedDateTime): JavaTime {
    return new JavaTime('OffsetDateTime', v);
  }
  static instant(v: Instant): JavaTime {
    return new JavaTime('Instant', v);
  }

  /** Java's `toString()` of the value (what the Java tests compare with `parse(...)`). */
  toString(): string {
    return this.value.toString();
  }

  /** Jackson's text for it (JavaTimeModule, WRITE_DATES_AS_TIMESTAMPS off, the mapper's zone = the worker's). */
  json(): string {
    const v = this.value;
    switch (this.kind) {
      case 'LocalDate':
        return (v as LocalDate).format(DateTimeFormatter.ISO_LOCAL_DATE);
      case 'LocalTime':
        return (v as LocalTime).format(DateTimeFormatter.ISO_LOCAL_TIME);
      case 'LocalDateTime':
        return (v as LocalDateTime).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME);
      case 'Instant':
        return (v as Instant).toString();
      case 'ZonedDateTime':
      case 'OffsetDateTime':
        return (v as ZonedDateTime).withZoneSameInstant(systemZone()).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }
  }

  /** Kestra's IonModule text for it. */
  ion(): string {
    const v = this.value;
    switch (this.kind) {
      case 'LocalDate':
        return (v as LocalDate).format(DateTimeFormatter.ISO_LOCAL_DATE);
      case 'Instant': {
        // Timestamp.forDateZ(Date.from(instant)): millisecond precision, UTC.
        const ms = (v as Instant).toEpochMilli();
        return new Date(ms).toISOString();
      }
      case 'LocalTime':
        return annotated('LocalTime', (v as LocalTime).format(DateTimeFormatter.ISO_LOCAL_TIME));
      case 'LocalDateTime':
        return annotated('LocalDateTime', (v as LocalDateTime).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
      case 'ZonedDateTime':
        return annotated('ZonedDateTime', (v as ZonedDateTime).format(DateTimeFormatter.ISO_ZONED_DATE_TIME));
      case 'OffsetDateTime':
        return annotated('OffsetDateTime', (v as ZonedDateTime).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    }
  }
}

function annotated(annotation: string, text: string): string {
  return `${annotation}::${toIonLine(text)}`;
}

/** A ZoneId from `timeZoneId` (Java's `ZoneId.of`), or the worker's zone. */
export function zoneOf(timeZoneId: string | undefined): ZoneId {
  systemZone(); // loads the zone database
  if (timeZoneId === undefined || timeZoneId.trim() === '') return systemZone();
  return ZoneId.of(timeZoneId.trim());
}

export const UTC = ZoneOffset.UTC;

/**
 * A Java Long: a number while exact, else a BigInteger box (printed exactly by templates; a bigint
 * would not survive the JSON of reports and stored executions).
 */
export function javaLong(value: string | bigint | number): number | JBigInteger {
  const big = typeof value === 'bigint' ? value : BigInt(value);
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : new JBigInteger(big);
}

// --- projections ------------------------------------------------------------------------------

/** The output form of one cell (see the file comment). */
export function outputValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof JavaTime) return value.json();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return javaLong(value);
  if (isList(value)) return value.map((v) => outputValue(v, depth + 1));
  if (isMap(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = outputValue(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** A row as an output map: `keepNulls` for `row` (its `@JsonInclude`), nulls dropped for each of `rows`. */
export function outputRow(row: Readonly<Record<string, unknown>>, keepNulls: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if ((v === null || v === undefined) && !keepNulls) continue;
    out[k] = outputValue(v);
  }
  return out;
}

/** One row as a line of Kestra's Ion file. */
export function ionRow(value: unknown): string {
  if (value instanceof JavaTime) return value.ion();
  if (isList(value)) return `[${value.map(ionRow).join(',')}]`;
  if (isMap(value)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      // The symbol as the Ion writer quotes it: `{key:null}` with the `:null}` cut off.
      const key = toIonLine({ [k]: null }).slice(1, -'null}'.length - 1);
      parts.push(`${key}:${ionRow(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return toIonLine(value);
}
