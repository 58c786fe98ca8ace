/** ISO-8601 durations as Java's `Duration.parse` reads them (days and time parts, decimals, sign). */

const DURATION = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

/** Milliseconds, or `undefined` when the text is not a duration Java would accept. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  const [, sign, d, h, min, s, frac] = m;
  if (d === undefined && h === undefined && min === undefined && s === undefined) return undefined;
  if (text.toUpperCase().endsWith('T')) return undefined;
  const ms =
    Number(d ?? 0) * 86_400_000 +
    Number(h ?? 0) * 3_600_000 +
    Number(min ?? 0) * 60_000 +
    Number(s ?? 0) * 1000 +
    (frac === undefined || frac === '' ? 0 : Math.sign(Number(s ?? 0) || 1) * Number(`0.${frac}`) * 1000);
  return sign === '-' ? -ms : ms;
}

/** A short human form for terminal output: `850 ms`, `1.2 s`, `2m 05s`. */
export function formatMillis(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Java's `Duration.toString()`: `PT24H`, `PT5M6S`, `PT0.5S`, `PT0S`. */
export function formatJavaDuration(ms: number): string {
  if (ms === 0) return 'PT0S';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = rest / 1000;
  let out = 'PT';
  if (hours > 0) out += `${sign}${hours}H`;
  if (minutes > 0) out += `${sign}${minutes}M`;
  if (seconds > 0) out += `${sign}${Number(seconds.toFixed(3))}S`;
  return out;
}
