/**
 * The web UI in a real browser (Debian's chromium through playwright-core), against the real
 * server started in-process on a free port with basic auth, and a real OAuth token server: each
 * view driven through the accessible names the issue fixes (nav links Flows / Executions /
 * Credentials; buttons Execute, Test connection, Kill, Resume; tabs Logs, Gantt, Outputs).
 */
import { jest } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeInBrowser, launch } from './support/browser.js';
import { measureFirstLoad } from './support/measure.js';
import { startUiProject, type UiProject } from './support/ui-project.js';

jest.setTimeout(180_000);

const AUTH = { username: 'admin', password: 'ui-test-password-5f1e2d' };
const basic = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;

describeInBrowser('web UI', () => {
  let project: UiProject;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [project, browser] = await Promise.all([startUiProject({ basicAuth: AUTH }), launch()]);
    context = await browser.newContext({ httpCredentials: AUTH, viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await project?.close();
  });

  const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  const stateText = (p: Page = page) => p.locator('.panel.head dd .state');
  const apiPost = (path: string, init: RequestInit = {}) =>
    fetch(`${project.url}/api/v1/main${path}`, { method: 'POST', ...init, headers: { authorization: basic, ...init.headers } });

  test('/ redirects to /ui/, which needs the API credentials; pages carry a same-origin Content-Security-Policy', async () => {
    const root = await fetch(`${project.url}/`, { redirect: 'manual', headers: { authorization: basic } });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');
    expect((await fetch(`${project.url}/ui/`)).status).toBe(401);
    const index = await fetch(`${project.url}/ui/flows`, { headers: { authorization: basic } });
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await index.text()).toContain('<nav aria-label="Main">');
    // No CDN: every script and stylesheet of the page comes from /ui/.
    const html = await (await fetch(`${project.url}/ui/`, { headers: { authorization: basic } })).text();
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(url).toMatch(/^(\/ui\/|#)/);
  });

  test('the first page is light and comes from this origin only (page weight, requests, first render reported)', async () => {
    const m = await measureFirstLoad(browser, `${project.url}/`, AUTH);
    process.stderr.write(
      `web UI first load: ${m.requests} requests, ${m.transferredBytes} bytes transferred, first contentful paint ${Math.round(m.firstContentfulPaintMs)} ms, view rendered ${Math.round(m.renderedMs)} ms\n`,
    );
    for (const url of m.urls) expect(new URL(url).origin).toBe(project.url);
    expect(m.requests).toBeLessThanOrEqual(14);
    expect(m.transferredBytes).toBeLessThan(100_000);
    expect(m.renderedMs).toBeGreaterThan(0);
  });

  test('Flows: every flow with namespace, triggers and validate problems (line and column); the nav is on every page', async () => {
    await page.goto(`${project.url}/`);
    await expect(page.getByRole('heading', { name: 'Flows', level: 1 }).waitFor()).resolves.toBeUndefined();
    expect(page.url()).toBe(`${project.url}/ui/flows`);
    for (const name of ['Flows', 'Executions', 'Credentials']) expect(await nav(name).count()).toBe(1);
    expect(await nav('Flows').getAttribute('aria-current')).toBe('page');
    const row = (id: string) => page.locator('tbody tr', { has: page.getByRole('link', { name: id, exact: true }) });
    for (const id of ['hello', 'failing', 'nested', 'uses_secrets', 'slow']) expect(await row(id).count()).toBe(1);
    expect(await row('hello').innerText()).toMatch(/company\.team[\s\S]*nightly Schedule \(disabled\)[\s\S]*No problems/);
    expect(await row('nested').innerText()).toMatch(/company\.analytics[\s\S]*hook Webhook/);
    const broken = page.locator('tr', { hasText: 'broken.yml' });
    expect(await broken.innerText()).toMatch(/broken\.yml:6:5 .*mesage/);
  });

  test('a flow page: highlighted source, the topology with nested flowables, and the Execute form built from the inputs', async () => {
    await page.goto(`${project.url}/ui/flows`);
    await page.getByRole('link', { name: 'nested', exact: true }).click();
    await page.getByRole('heading', { name: 'nested', level: 1 }).waitFor();
    const graph = page.getByRole('img', { name: 'Topology of nested: 8 tasks' });
    await graph.waitFor();
    // If → then → Parallel → left/right, and else → other: clusters inside clusters.
    const clusters = await graph
      .locator('g.cluster')
      .evaluateAll((gs: { textContent: string | null; querySelectorAll(selector: string): { length: number } }[]) =>
        gs.map((g) => ({ text: g.textContent ?? '', nested: g.querySelectorAll('g.cluster').length })),
      );
    expect(clusters.find((c) => c.text.startsWith('branch'))).toMatchObject({ nested: 1 });
    expect(clusters.find((c) => c.text.startsWith('branch'))?.text).toMatch(
      /then[\s\S]*parallel[\s\S]*left[\s\S]*right[\s\S]*else[\s\S]*other/,
    );
    expect(await page.locator('.source .y-key', { hasText: 'condition' }).count()).toBe(1);
    expect(await page.locator('.source .y-tpl', { hasText: "{{ inputs.region == 'eu' }}" }).count()).toBe(1);

    await page.goto(`${project.url}/ui/flows/company.team/hello`);
    const name = page.getByLabel('name', { exact: true });
    expect(await name.inputValue()).toBe('world');
    expect(await name.getAttribute('aria-describedby')).not.toBeNull();
    expect(await page.getByLabel('times', { exact: true }).getAttribute('type')).toBe('number');
    expect(await page.getByLabel('mood', { exact: true }).inputValue()).toBe('calm');
    expect(await page.getByLabel('api_password', { exact: true }).getAttribute('type')).toBe('password');
    expect(await page.getByRole('form', { name: 'Execute hello' }).getByText('Who to greet').count()).toBe(1);
    // FILE inputs (not in this server's flows yet) become uploads: the form builder itself, in the page.
    await page.evaluate(`(async () => {
      const { inputFields } = await import('/ui/js/execute-form.js');
      const form = document.createElement('form');
      form.id = 'probe';
      form.append(...inputFields([{ id: 'upload', type: 'FILE', description: 'a CSV' }]));
      document.querySelector('main').append(form);
    })()`);
    expect(await page.locator('#probe').getByLabel('upload', { exact: true }).getAttribute('type')).toBe('file');
  });

  test('the Execute form validates as the user types: field errors once touched, the failing flow checks styled, a blocked run refused', async () => {
    const firstCheck = page.waitForResponse((r) => r.url().endsWith('/executions/company.team/guarded/validate'));
    await page.goto(`${project.url}/ui/flows/company.team/guarded`);
    const form = page.getByRole('form', { name: 'Execute guarded' });
    const day = form.getByLabel('day', { exact: true });
    const copies = form.getByLabel('copies', { exact: true });
    const checks = form.getByRole('status', { name: 'Checks' });
    await day.waitFor();
    // `day` is required and empty, but untouched: no error shown yet; no check runs without valid inputs.
    expect((await firstCheck).status()).toBe(200);
    expect(await day.getAttribute('aria-invalid')).toBeNull();
    expect(await checks.locator('.check').count()).toBe(0);

    await copies.fill('0');
    await form.locator('[data-error-for="copies"]', { hasText: 'must be more than `1`' }).waitFor();
    expect(await copies.getAttribute('aria-invalid')).toBe('true');
    // The error is read with the field.
    const describedBy = (await copies.getAttribute('aria-describedby')) ?? '';
    expect(describedBy.split(' ')).toContain(await form.locator('[data-error-for="copies"]').getAttribute('id'));

    await copies.fill('2');
    await day.fill('sunday');
    await checks.locator('.check-error', { hasText: 'Not on Sundays' }).waitFor();
    expect(await copies.getAttribute('aria-invalid')).toBeNull();
    expect(await form.locator('[data-error-for="copies"]').innerText()).toBe('');

    await day.fill('saturday');
    await checks.locator('.check-warning', { hasText: 'Saturday runs are slow' }).waitFor();
    expect(await checks.locator('.check-error').count()).toBe(0);

    await day.fill('sunday');
    await checks.locator('.check-error', { hasText: 'Not on Sundays' }).waitFor();
    await form.getByRole('button', { name: 'Execute' }).click();
    await form.getByRole('alert').filter({ hasText: 'Not started' }).waitFor();
    expect(await form.getByRole('alert').innerText()).toContain('Not on Sundays');
    expect(page.url()).toBe(`${project.url}/ui/flows/company.team/guarded`);

    await day.fill('monday');
    // The page's CSP forbids evaluated strings: wait on the locator (resolves once no check is left).
    await checks.locator('.check').first().waitFor({ state: 'detached' });
    await form.getByRole('button', { name: 'Execute' }).click();
    await page.waitForURL(/\/ui\/executions\/company\.team\/guarded\//);
  });

  test("a Dag's topology places each task right of its dependencies and draws every dependsOn edge", async () => {
    await page.goto(`${project.url}/ui/flows`);
    // The flow of Kestra's Dag @Example (core/…/flow/Dag.java), drawn by the page's own module.
    const drawn = await page.evaluate(`(async () => {
      const { topology } = await import('/ui/js/topology.js');
      const log = (id) => ({ id, type: 'io.kestra.plugin.core.log.Log', message: id });
      const flow = { id: 'dag', namespace: 'company.team', tasks: [{ id: 'dag', type: 'io.kestra.plugin.core.flow.Dag', tasks: [
        { task: log('task1') },
        { task: log('task2'), dependsOn: ['task1'] },
        { task: log('task3'), dependsOn: ['task1'] },
        { task: log('task4'), dependsOn: ['task2'] },
        { task: log('task5'), dependsOn: ['task4', 'task3'] },
      ] }] };
      const view = topology(flow);
      view.id = 'dag-probe';
      // Beside <main>, not in it: the flows list, still loading, replaces main's content when it arrives.
      document.body.append(view);
      const x = (id) => [...view.querySelectorAll('g.node')].find((g) => g.querySelector('title').textContent.startsWith(id + ' ')).querySelector('rect').getAttribute('x');
      return {
        edges: [...view.querySelectorAll('g.dag-edge title')].map((t) => t.textContent).sort(),
        x: Object.fromEntries(['task1', 'task2', 'task3', 'task4', 'task5'].map((id) => [id, Number(x(id))])),
      };
    })()`);
    const { edges, x } = drawn as { edges: string[]; x: Record<string, number> };
    expect(edges).toEqual(['task1 → task2', 'task1 → task3', 'task2 → task4', 'task3 → task5', 'task4 → task5']);
    expect(x['task2']).toBe(x['task3']);
    expect(x['task1']).toBeLessThan(x['task2']!);
    expect(x['task2']).toBeLessThan(x['task4']!);
    expect(x['task4']).toBeLessThan(x['task5']!);
    expect(await page.getByRole('img', { name: 'Topology of dag: 6 tasks' }).count()).toBe(1);
  });

  test('Execute runs the flow and its logs arrive live: Logs tab first, levels coloured, Resume continues a paused run', async () => {
    await page.goto(`${project.url}/ui/flows/company.team/hello`);
    await page.getByLabel('name', { exact: true }).fill('Ada');
    await page.getByRole('button', { name: 'Execute', exact: true }).click();
    await page.waitForURL(/\/ui\/executions\/company\.team\/hello\/\w+$/);
    const logs = page.getByRole('tab', { name: 'Logs' });
    expect(await logs.getAttribute('aria-selected')).toBe('true');
    await page.getByText('Hello Ada, you look calm').waitFor();
    // Still running (paused): this line came over the live stream, not with a finished execution.
    await stateText().filter({ hasText: 'PAUSED' }).waitFor();
    expect(await page.getByText('Goodbye Ada').count()).toBe(0);
    await page.evaluate('window.sameDocument = true');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByText('Goodbye Ada (2 times)').waitFor();
    await stateText().filter({ hasText: 'SUCCESS' }).waitFor();
    expect(await page.evaluate('window.sameDocument')).toBe(true);
    expect(await page.getByRole('button', { name: 'Resume' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Kill' }).isVisible()).toBe(false);

    const level = (text: string) => page.locator('.logs li', { hasText: text }).locator('.level');
    expect(await level('Hello Ada').innerText()).toBe('INFO');
    expect(await level('Goodbye Ada').innerText()).toBe('WARN');
    const colour = (text: string) =>
      level(text).evaluate(
        (e) => (e.ownerDocument.defaultView as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(e).color,
      );
    expect(await colour('Hello Ada')).not.toBe(await colour('Goodbye Ada'));

    await page.getByLabel('Level', { exact: true }).selectOption('WARN');
    expect(await page.locator('.logs li').allInnerTexts()).toEqual([expect.stringContaining('Goodbye Ada')]);
    await page.getByLabel('Level', { exact: true }).selectOption('TRACE');
    await page.getByLabel('Task', { exact: true }).selectOption('greet');
    expect(await page.locator('.logs li').allInnerTexts()).toEqual([expect.stringContaining('Hello Ada')]);
  });

  test('a failing flow leads to its error: FAILED as text, the failed task and message, an ERROR line, attempts in the Gantt', async () => {
    await page.goto(`${project.url}/ui/flows/company.team/failing`);
    await page.getByRole('button', { name: 'Execute', exact: true }).click();
    await stateText().filter({ hasText: 'FAILED' }).waitFor();
    const alert = page.getByRole('alert');
    await alert.filter({ hasText: 'The import file is missing' }).waitFor();
    expect(await alert.innerText()).toMatch(/Failed at check: \[check\] .*The import file is missing/);
    expect(await page.locator('.logs li', { hasText: 'The import file is missing' }).locator('.level-ERROR').count()).toBe(1);
    expect(await page.getByText('not reached').count()).toBe(0);
    await page.getByRole('tab', { name: 'Gantt' }).click();
    await page.getByRole('button', { name: /^check,/ }).click();
    const detail = page.locator('section.detail');
    await detail.getByRole('heading', { name: 'Attempts' }).waitFor();
    expect(await detail.locator('tbody tr').first().innerText()).toMatch(/^1\s+FAILED/);
  });

  test('Gantt: loop children with their values, a click shows attempts and outputs; Outputs as a JSON tree', async () => {
    await page.goto(`${project.url}/ui/flows/company.analytics/nested`);
    await page.getByRole('button', { name: 'Execute', exact: true }).click();
    await stateText().filter({ hasText: 'SUCCESS' }).waitFor();
    await page.getByRole('tab', { name: 'Gantt' }).click();
    for (const value of ['eu', 'us', 'apac']) await page.getByRole('button', { name: new RegExp(`^count \\[${value}\\],`) }).waitFor();
    await page.getByRole('button', { name: /^count \[us\],/ }).click();
    const detail = page.locator('section.detail');
    await detail.getByRole('heading', { name: 'count [us]' }).waitFor();
    expect(await detail.locator('tbody tr').first().innerText()).toMatch(/^1\s+SUCCESS/);
    expect(await detail.locator('.tree').innerText()).toContain('value: "us-2"');
    // Zoom centres on the selected bar: twice in, the window is a quarter of the run around it
    // (kept inside the run), so its left edge moves to where that window puts it; Fit restores it.
    const selectedBar = page.getByRole('button', { name: /^count \[us\],/ });
    const position = async () =>
      (await selectedBar.evaluate((b: { style: { left: string; width: string } }) => [b.style.left, b.style.width])).map((v) =>
        Number(v.replace('%', '')),
      ) as [number, number];
    const [left, width] = await position();
    const zoomBar = page.getByRole('toolbar', { name: 'Gantt zoom' });
    await zoomBar.getByRole('button', { name: 'Zoom in' }).click();
    await zoomBar.getByRole('button', { name: 'Zoom in' }).click();
    // Its centre: left + width / 2 (the width is its duration's share, or the 0.4 % minimum: within 1 %).
    const from = Math.min(Math.max(0, left / 100 + width / 200 - 0.125), 0.75);
    const [zoomedLeft, zoomedWidth] = await position();
    expect(Math.abs(zoomedLeft - (left / 100 - from) * 400)).toBeLessThan(2);
    expect(zoomedWidth).toBeGreaterThanOrEqual(width);
    expect(await zoomBar.innerText()).toMatch(/Showing .+ to /);
    await zoomBar.getByRole('button', { name: 'Zoom out' }).click();
    await zoomBar.getByRole('button', { name: 'Fit' }).click();
    expect(await position()).toEqual([left, width]);
    expect(await zoomBar.innerText()).not.toMatch(/Showing/);
    await page.getByRole('tab', { name: 'Outputs' }).click();
    const flowOutputs = page.getByRole('group', { name: 'Flow outputs' });
    expect(await flowOutputs.innerText()).toContain('first: "eu-2"');
    const tasks = page.getByRole('group', { name: 'Task outputs' });
    expect(await tasks.innerText()).toMatch(/count[\s\S]*apac[\s\S]*"apac-4"/);
  });

  test("Resume asks a Pause's onResume inputs, labelled by their ids, and sends them", async () => {
    await page.goto(`${project.url}/ui/flows/company.ops/approve`);
    await page.getByRole('button', { name: 'Execute', exact: true }).click();
    await stateText().filter({ hasText: 'PAUSED' }).waitFor();
    const form = page.getByRole('form', { name: 'Resume inputs' });
    await form.getByLabel('reason', { exact: true }).fill('looks right');
    await form.getByLabel('approved', { exact: true }).selectOption('true');
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByText('approved=true because looks right').waitFor();
    await stateText().filter({ hasText: 'SUCCESS' }).waitFor();
    expect(await form.isVisible()).toBe(false);
  });

  test('Kill stops a running execution; the execution URL the API returns opens the same page', async () => {
    const created = (await (await apiPost('/executions/company.ops/slow', { body: new FormData() })).json()) as { id: string; url: string };
    await page.goto(created.url);
    await page.getByText('Starting a long job').waitFor();
    await stateText().filter({ hasText: 'RUNNING' }).waitFor();
    await page.getByRole('button', { name: 'Kill', exact: true }).click();
    await stateText().filter({ hasText: 'KILLED' }).waitFor();
    expect(await page.getByRole('button', { name: 'Kill' }).isVisible()).toBe(false);
  });

  test('Executions: the list updates live and filters by namespace, flow and state', async () => {
    await nav('Executions').click();
    await page.getByRole('heading', { name: 'Executions', level: 1 }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    const before = await page.locator('tbody tr').count();
    expect(before).toBeGreaterThanOrEqual(4);
    const created = (await (await apiPost('/executions/company.team/failing', { body: new FormData() })).json()) as { id: string };
    const row = page.locator(`tr[data-execution="${created.id}"]`);
    await row.filter({ hasText: 'FAILED' }).waitFor();
    expect(await row.innerText()).toMatch(/company\.team\.failing/);
    expect(await page.locator('tbody tr').count()).toBe(before + 1);

    await page.getByLabel('State', { exact: true }).selectOption('FAILED');
    await page.waitForURL(/\?state=FAILED$/);
    await page.locator('tbody tr').first().waitFor();
    const states = await page.locator('tbody tr .state').allInnerTexts();
    expect(states.length).toBeGreaterThanOrEqual(2);
    expect(new Set(states)).toEqual(new Set(['FAILED']));
    await page.getByLabel('State', { exact: true }).selectOption('');
    await page.getByLabel('Namespace', { exact: true }).selectOption('company.analytics');
    await page.waitForURL(/\?namespace=company\.analytics$/);
    expect(new Set(await page.locator('tbody tr td:nth-child(2)').allInnerTexts())).toEqual(new Set(['company.analytics.nested']));
    await page.getByLabel('Namespace', { exact: true }).selectOption('');
    await page.getByLabel('Flow', { exact: true }).fill('hello');
    await page.getByLabel('Flow', { exact: true }).press('Enter');
    await page.waitForURL(/\?flowId=hello$/);
    expect(new Set(await page.locator('tbody tr td:nth-child(2)').allInnerTexts())).toEqual(new Set(['company.team.hello']));
  });

  test('Credentials: Test connection shows Token minted, type, expiry and scope, or the OAuth refusal; secrets by provider and key', async () => {
    await nav('Credentials').click();
    await page.getByRole('heading', { name: 'Credentials', level: 1 }).waitFor();
    const good = page.locator('tr[data-credential="good"]');
    const refused = page.locator('tr[data-credential="refused"]');
    expect(await good.innerText()).toMatch(/good[\s\S]*OAUTH2[\s\S]*CLIENT_CREDENTIALS[\s\S]*main[\s\S]*all/);
    expect(await refused.innerText()).toMatch(/refused[\s\S]*OAUTH2[\s\S]*CLIENT_CREDENTIALS[\s\S]*main[\s\S]*company\.team/);
    const minted = project.oauth.tokenRequests().length;
    await good.getByRole('button', { name: 'Test connection' }).click();
    const ok = good.getByRole('status');
    await ok.getByText('Token minted').waitFor();
    expect(await ok.innerText()).toMatch(
      /^Token minted · Bearer · expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d+ min \d+ s\) · scope api:read/,
    );
    expect(project.oauth.tokenRequests().length).toBe(minted + 1);
    await refused.getByRole('button', { name: 'Test connection' }).click();
    const no = refused.getByRole('status');
    await no.getByText('invalid_client', { exact: true }).waitFor();
    expect(await no.innerText()).toMatch(/^Refused · invalid_client: client authentication failed/);
    expect(await no.innerText()).toContain('OAUTH_ERROR, HTTP 401');
    const secrets = page.getByRole('table', { name: 'Secrets' });
    expect(await secrets.innerText()).toMatch(/env\s+main\s+all\s+API_KEY\s+GOOD_CLIENT_SECRET\s+REVOKED_CLIENT_SECRET\s+UI_PASSWORD/);
  });

  test('keyboard only: nav links, a flow run from the Execute form, Resume, tabs with arrow keys, a Gantt bar, Test connection, filters', async () => {
    const kb = await context.newPage();
    /** What has the focus: its role-ish kind and the name a user hears (label, aria-label or text). */
    const focused = () =>
      kb.evaluate<{ kind: string; name: string }>(`(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return { kind: 'body', name: '' };
        const kind = el.getAttribute('role') ?? el.tagName.toLowerCase();
        const name = (el.labels && el.labels[0] ? el.labels[0].textContent : el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
        return { kind, name };
      })()`);
    const tabTo = async (kind: string, name: string | RegExp, key = 'Tab'): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        await kb.keyboard.press(key);
        const f = await focused();
        if (f.kind === kind && (typeof name === 'string' ? f.name === name : name.test(f.name))) return;
      }
      throw new Error(`never reached ${kind} ${String(name)} with ${key}`);
    };
    await kb.goto(`${project.url}/ui/flows`);
    await kb.getByRole('heading', { name: 'Flows', level: 1 }).waitFor();
    await tabTo('a', 'Skip to content');
    await tabTo('a', 'Credentials');
    await tabTo('a', 'hello');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { name: 'hello', level: 1 }).waitFor();
    expect(await focused()).toEqual({ kind: 'h1', name: 'hello' });
    await tabTo('input', 'name');
    await kb.keyboard.press('ControlOrMeta+A');
    await kb.keyboard.type('Keys');
    await tabTo('button', 'Execute');
    await kb.keyboard.press('Enter');
    await kb.getByText('Hello Keys, you look calm').waitFor();
    await kb.locator('.panel.head dd .state', { hasText: 'PAUSED' }).waitFor();
    await tabTo('button', 'Resume');
    await kb.keyboard.press('Space');
    await kb.getByText('Goodbye Keys (2 times)').waitFor();
    await tabTo('tab', 'Logs', 'Shift+Tab');
    await kb.keyboard.press('ArrowRight');
    expect(await focused()).toEqual({ kind: 'tab', name: 'Gantt' });
    expect(await kb.getByRole('tab', { name: 'Gantt' }).getAttribute('aria-selected')).toBe('true');
    await tabTo('button', /^goodbye,/);
    await kb.keyboard.press('Enter');
    await kb.locator('section.detail').getByRole('heading', { name: 'Attempts' }).waitFor();
    expect(await focused()).toEqual({ kind: 'h3', name: 'goodbye' });
    // One tab stop for the tab list (the selected tab); End and Home move along it.
    await tabTo('tab', 'Gantt', 'Shift+Tab');
    await kb.keyboard.press('End');
    expect(await focused()).toEqual({ kind: 'tab', name: 'Outputs' });
    await kb.getByRole('heading', { name: 'Task outputs' }).waitFor();
    await kb.keyboard.press('Home');
    expect(await focused()).toEqual({ kind: 'tab', name: 'Logs' });

    await tabTo('a', 'Credentials', 'Shift+Tab');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { name: 'Credentials', level: 1 }).waitFor();
    await tabTo('button', 'Test connection');
    await kb.keyboard.press('Enter');
    await kb.locator('tr[data-credential="good"]').getByText('Token minted').waitFor();

    await tabTo('a', 'Executions', 'Shift+Tab');
    await kb.keyboard.press('Enter');
    await kb.getByRole('heading', { name: 'Executions', level: 1 }).waitFor();
    await tabTo('select', 'State');
    await kb.keyboard.type('FAILED');
    await kb.waitForURL(/\?state=FAILED$/);
    expect(await kb.getByLabel('State', { exact: true }).inputValue()).toBe('FAILED');
    for (const state of await kb.locator('tbody tr .state').allInnerTexts()) expect(state).toBe('FAILED');
    await kb.close();
  });

  test('nothing secret reaches the browser: every response, stream and event of every view grepped for each secret and every issued token', async () => {
    const p = await context.newPage();
    const bodies: string[] = [];
    const reads: Promise<void>[] = [];
    p.on('response', (r) => {
      reads.push(
        r.body().then(
          (b) => void bodies.push(`${r.url()}\n${JSON.stringify(r.headers())}\n${b.toString('utf8')}`),
          () => undefined,
        ),
      );
    });
    const cdp = await context.newCDPSession(p);
    await cdp.send('Network.enable');
    cdp.on('Network.eventSourceMessageReceived', (e: { data: string }) => void bodies.push(e.data));
    // Event streams read with fetch: Chromium hands over each chunk as it arrives (a stream cut
    // short by leaving the page has no body for Playwright to read afterwards).
    const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
    cdp.on('Network.responseReceived', (e: { requestId: string; response: { mimeType: string } }) => {
      if (e.response.mimeType !== 'text/event-stream') return;
      cdp.send('Network.streamResourceContent', { requestId: e.requestId }).then(
        (r: { bufferedData: string }) => void bodies.push(decode(r.bufferedData)),
        () => undefined,
      );
    });
    cdp.on('Network.dataReceived', (e: { data?: string }) => {
      if (e.data !== undefined) bodies.push(decode(e.data));
    });
    const secretInput = 'typed-into-a-SECRET-input-7c1b';

    await p.goto(`${project.url}/ui/flows/company.team/hello`);
    await p.getByLabel('api_password', { exact: true }).fill(secretInput);
    await p.getByRole('button', { name: 'Execute', exact: true }).click();
    await stateText(p).filter({ hasText: 'PAUSED' }).waitFor();
    await p.getByRole('button', { name: 'Resume', exact: true }).click();
    await stateText(p).filter({ hasText: 'SUCCESS' }).waitFor();
    await p.getByRole('tab', { name: 'Outputs' }).click();
    await p.getByRole('group', { name: 'Inputs' }).waitFor();

    await p.goto(`${project.url}/ui/flows/company.team/uses_secrets`);
    await p.getByRole('button', { name: 'Execute', exact: true }).click();
    await stateText(p).filter({ hasText: 'SUCCESS' }).waitFor();
    await p.getByText('token is ******').waitFor();
    await p.getByText('key is ******').waitFor();
    await p.getByRole('tab', { name: 'Gantt' }).click();
    for (const task of ['with_secret', 'with_token']) {
      await p.getByRole('button', { name: new RegExp(`^${task},`) }).click();
      await p.locator('section.detail').getByRole('heading', { name: task }).waitFor();
    }
    await p.getByRole('tab', { name: 'Outputs' }).click();

    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Executions', exact: true }).click();
    await p.getByText('Live', { exact: true }).waitFor();
    await apiPost('/executions/company.team/uses_secrets?wait=true', { body: new FormData() });
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Credentials', exact: true }).click();
    for (const id of ['good', 'refused']) {
      const row = p.locator(`tr[data-credential="${id}"]`);
      await row.getByRole('button', { name: 'Test connection' }).click();
      await row.getByText(id === 'good' ? 'Token minted' : 'Refused', { exact: true }).waitFor();
    }
    await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Flows', exact: true }).click();
    await p.getByRole('link', { name: 'broken.yml' }).or(p.getByText('broken.yml:6:5')).first().waitFor();
    await p.close();
    // A stream still open when the page closed has no body to read: wait a moment for the rest.
    await Promise.all(reads.map((r) => Promise.race([r, new Promise((ok) => setTimeout(ok, 5000))])));

    const tokens = project.oauth.log.map((l) => l.issuedToken).filter((t): t is string => typeof t === 'string');
    expect(tokens.length).toBeGreaterThanOrEqual(2); // the flow's credential() (then cached) and Test connection
    const secrets = [...project.secretValues, secretInput, ...tokens];
    const all = bodies.join('\n');
    // The grep sees the streams: the masked log lines and the Test connection answers are in it.
    expect(all).toContain('key is ******');
    expect(all).toContain('token is ******');
    expect(all).toContain('"tokenType":"Bearer"');
    expect(all).toContain('"oauthError":"invalid_client"');
    expect(bodies.length).toBeGreaterThan(40);
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      expect(all).not.toContain(Buffer.from(secret).toString('base64'));
    }
  });

  test('state-changing UI calls check Origin and need the credentials', async () => {
    const test = (headers: Record<string, string>) =>
      fetch(`${project.url}/api/v1/main/pebbleflow/ui/credentials/good/test`, { method: 'POST', headers });
    expect((await test({ authorization: basic, origin: 'http://evil.example' })).status).toBe(403);
    expect((await test({ authorization: basic, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await test({ origin: project.url })).status).toBe(401);
    expect((await test({ authorization: basic, origin: project.url })).status).toBe(200);
    expect((await fetch(`${project.url}/api/v1/main/pebbleflow/ui/credentials`)).status).toBe(401);
  });
});
