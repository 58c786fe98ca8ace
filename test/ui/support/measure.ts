/** Page weight and time to first render of a first visit (empty cache), measured in the browser. */
import type { Browser } from 'playwright-core';

export interface FirstLoad {
  readonly url: string;
  readonly requests: number;
  /** Every URL the page asked for. */
  readonly urls: readonly string[];
  /** Bytes on the wire (headers included), from Chromium's network events. */
  readonly transferredBytes: number;
  /** Bodies only. */
  readonly resourceBytes: number;
  readonly firstContentfulPaintMs: number;
  /** Until the first view (the flows list) had its content: the app's `pebbleflow:view-rendered` mark. */
  readonly renderedMs: number;
}

export async function measureFirstLoad(
  browser: Browser,
  url: string,
  httpCredentials?: { username: string; password: string },
): Promise<FirstLoad> {
  const context = await browser.newContext({ ...(httpCredentials === undefined ? {} : { httpCredentials }) });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let transferred = 0;
    let requests = 0;
    const urls: string[] = [];
    cdp.on('Network.requestWillBeSent', (e: { request: { url: string } }) => void urls.push(e.request.url));
    cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
      transferred += e.encodedDataLength;
      requests++;
    });
    await page.goto(url);
    await page.locator('main h1', { hasText: 'Flows' }).waitFor();
    await page.locator('main table').first().waitFor();
    // Read in the page (a string, as the page's DOM types are not this program's).
    const timing = await page.evaluate<{ fcp: number; rendered: number; bodies: number }>(`(() => {
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      const rendered = performance.getEntriesByName('pebbleflow:view-rendered')[0];
      const bodies = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')].reduce((n, r) => n + r.decodedBodySize, 0);
      return { fcp: paint ? paint.startTime : NaN, rendered: rendered ? rendered.startTime : NaN, bodies };
    })()`);
    return {
      url,
      requests,
      urls,
      transferredBytes: transferred,
      resourceBytes: timing.bodies,
      firstContentfulPaintMs: timing.fcp,
      renderedMs: timing.rendered,
    };
  } finally {
    await context.close();
  }
}
