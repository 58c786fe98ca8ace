/**
 * The options of Kestra's Avro converter (AbstractAvroConverter) and their defaults, apart from the
 * converter itself so that the task definitions can show them without loading it at start-up.
 */

/** The process time zone (Kestra: the JVM's, `ZoneId.systemDefault()`). */
export function systemZoneId(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

export type OnBadLines = 'ERROR' | 'WARN' | 'SKIP';

export interface AvroConverterOptions {
  readonly trueValues: readonly string[];
  readonly falseValues: readonly string[];
  readonly nullValues: readonly string[];
  readonly dateFormat: string;
  readonly timeFormat: string;
  readonly datetimeFormat: string;
  readonly decimalSeparator: string;
  readonly strictSchema: boolean;
  readonly inferAllFields: boolean;
  readonly timeZoneId: string;
  readonly onBadLines: OnBadLines;
}

export const AVRO_CONVERTER_DEFAULTS: AvroConverterOptions = {
  trueValues: ['t', 'true', 'enabled', '1', 'on', 'yes'],
  falseValues: ['f', 'false', 'disabled', '0', 'off', 'no', ''],
  nullValues: ['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '1.#IND', '1.#QNAN', 'NA', 'n/a', 'nan', 'null'],
  dateFormat: 'yyyy-MM-dd[XXX]',
  timeFormat: 'HH:mm[:ss][.SSSSSS][XXX]',
  datetimeFormat: "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS][XXX]",
  decimalSeparator: '.',
  strictSchema: false,
  inferAllFields: false,
  // Read when used: creating the Intl formatter to learn it costs a CLI run about 30 ms at start-up.
  get timeZoneId(): string {
    return systemZoneId();
  },
  onBadLines: 'ERROR',
};
