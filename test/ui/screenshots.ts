/**
 * `npm run screenshots`: starts the UI test project, drives each view in Debian's chromium and
 * writes docs/ui/*.png (the README's pictures), then prints the page weight and the time to first
 * render of the first page load.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launch } from './support/browser.js';
import { measureFirstLoad } from './support/measure.js';
import { startUiProject } from './support/ui-project.js';

const out = fileURLToPath(new URL('../../docs/ui/', import.meta.url));
mkdirSync(out, { recursive: true });

const project = await startUiProject();
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  const shot = async (name: string, fullPage = false): Promise<void> => {
    await page.screenshot({ path: `${out}${name}.png`, fullPage });
    process.stdout.write(`docs/ui/${name}.png\n`);
  };

  // Five first visits (each a new context with an empty cache); the median of each figure.
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await measureFirstLoad(browser, `${project.url}/`));
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const m = runs[0]!;
  process.stdout.write(
    `first load of /ui/flows (median of ${runs.length}): ${m.requests} requests, ${median(runs.map((r) => r.transferredBytes))} bytes transferred ` +
      `(${median(runs.map((r) => r.resourceBytes))} bytes of bodies), first contentful paint ${median(runs.map((r) => r.firstContentfulPaintMs)).toFixed(0)} ms, ` +
      `flows list rendered ${median(runs.map((r) => r.renderedMs)).toFixed(0)} ms after navigation start (min ${Math.min(...runs.map((r) => r.renderedMs)).toFixed(0)} ms)\n`,
  );

  await page.goto(`${project.url}/ui/flows`);
  await page.getByRole('link', { name: 'nested' }).waitFor();
  await shot('flows');

  await page.getByRole('link', { name: 'nested' }).click();
  await page.getByRole('img', { name: /Topology of nested/ }).waitFor();
  await shot('flow', true);

  await page.goto(`${project.url}/ui/flows/company.team/hello`);
  await page.getByLabel('name', { exact: true }).fill('Ada');
  await page.getByRole('button', { name: 'Execute' }).click();
  await page.getByText('Hello Ada').waitFor();
  await page.locator('.state', { hasText: 'PAUSED' }).first().waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByText('Goodbye Ada').waitFor();
  await page.locator('.state', { hasText: 'SUCCESS' }).first().waitFor();
  await shot('execution-logs');

  await page.goto(`${project.url}/ui/flows/company.analytics/nested`);
  await page.getByRole('button', { name: 'Execute' }).click();
  await page.locator('.state', { hasText: 'SUCCESS' }).first().waitFor();
  await page.getByRole('tab', { name: 'Gantt' }).click();
  await page.getByRole('button', { name: /^count \[us\]/ }).click();
  await page.getByRole('heading', { name: 'Attempts' }).waitFor();
  await shot('execution-gantt', true);
  await page.getByRole('tab', { name: 'Outputs' }).click();
  await shot('execution-outputs');

  await page.goto(`${project.url}/ui/flows/company.team/failing`);
  await page.getByRole('button', { name: 'Execute' }).click();
  await page.getByText('The import file is missing').first().waitFor();
  await page.locator('.state', { hasText: 'FAILED' }).first().waitFor();
  await shot('execution-failed');

  await page.getByRole('navigation').getByRole('link', { name: 'Executions' }).click();
  await page.getByRole('heading', { name: 'Executions' }).waitFor();
  await page.locator('tbody tr').nth(2).waitFor();
  await shot('executions');

  await page.getByRole('link', { name: 'Credentials' }).click();
  const rows = page.locator('tr[data-credential]');
  await rows.filter({ hasText: 'good' }).getByRole('button', { name: 'Test connection' }).click();
  await rows.filter({ hasText: 'refused' }).getByRole('button', { name: 'Test connection' }).click();
  await page.getByText('Token minted').waitFor();
  await page.getByText('invalid_client', { exact: true }).waitFor();
  await shot('credentials');
} finally {
  await browser.close();
  await project.close();
}
