/**
 * ISO-8601 durations as the config uses them (`PT1M`, `PT30S`, `P1DT2H`, `PT0.5S`).
 * Years and months are refused: their length depends on a calendar, a token lifetime must not.
 */
const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Milliseconds of an ISO-8601 duration, or `undefined` when the text is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match;
  const part = (value: string | undefined, unitMs: number): number => (value === undefined ? 0 : Number(value) * unitMs);
  const total = part(weeks, 604_800_000) + part(days, 86_400_000) + part(hours, 3_600_000) + part(minutes, 60_000) + part(seconds, 1000);
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** `90000` → `PT1M30S`, for messages and listings. */
export function formatIsoDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  let rest = ms;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  return `PT${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${seconds ? `${seconds}S` : ''}`;
}
