/**
 * Debian's chromium through playwright-core (no browser download). Where chromium is missing the
 * UI tests skip with a loud message; under CI=true its absence fails them (`.ci/run` installs it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

function findChromium(): string | undefined {
  const candidates = [process.env.PEBBLEFLOW_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c !== undefined && c !== '' && existsSync(c)) return c;
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}

export const CHROMIUM = findChromium();

/** `describe`, or `describe.skip` with a loud warning when there is no chromium (a failure under CI=true). */
export function describeInBrowser(name: string, body: () => void): void {
  if (CHROMIUM !== undefined) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('chromium is installed', () => {
        throw new Error("chromium is missing: the web UI tests need Debian's chromium (apt-get install -y chromium); .ci/run installs it");
      });
    });
    return;
  }
  process.stderr.write(
    `\n!!! SKIPPED: ${name}: no chromium found (apt-get install -y chromium, or set PEBBLEFLOW_CHROMIUM). The web UI is NOT tested in this run. !!!\n\n`,
  );
  describe.skip(name, body);
}

export async function launch(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error('no chromium');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}
