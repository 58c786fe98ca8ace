// The shell: a client-side router over the History API. Each view is its own module, loaded when
// first shown, so the first page needs only this file, dom.js and api.js. A view gets an
// AbortSignal that fires when the user leaves it (its streams and timers stop with it).
import { ApiError, serverContext } from './api.js';
import { errorBox, h } from './dom.js';

const SECTIONS = ['flows', 'executions', 'credentials'];

const ROUTES = [
  { path: /^flows$/, section: 'flows', load: () => import('./views/flows.js'), view: 'flowsView' },
  { path: /^flows\/(?:edit\/)?([^/]+)\/([^/]+)$/, section: 'flows', load: () => import('./views/flow.js'), view: 'flowView' },
  { path: /^executions$/, section: 'executions', load: () => import('./views/executions.js'), view: 'executionsView' },
  {
    path: /^executions\/([^/]+)\/([^/]+)\/([^/]+)$/,
    section: 'executions',
    load: () => import('./views/execution.js'),
    view: 'executionView',
  },
  { path: /^credentials$/, section: 'credentials', load: () => import('./views/credentials.js'), view: 'credentialsView' },
];

let current;

/** The route part after `/ui/`, without Kestra's `{tenant}/` prefix (the API's execution URLs carry it). */
function routeOf(pathname, tenant) {
  let rest = pathname.replace(/^\/ui\/?/, '').replace(/\/+$/, '');
  const [first, second] = rest.split('/');
  if (tenant !== undefined && first === tenant && SECTIONS.includes(second)) rest = rest.slice(first.length + 1);
  return rest;
}

function match(path) {
  for (const r of ROUTES) {
    const m = r.path.exec(path);
    if (m !== null) return { ...r, params: m.slice(1).map(decodeURIComponent) };
  }
  return undefined;
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render({ focus: true });
}

async function render({ focus }) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const main = document.getElementById('main');
  let route;
  try {
    // The view's module loads while the server's settings are fetched; the tenant is needed only
    // for Kestra's `/ui/{tenant}/…` addresses.
    const context = serverContext();
    context.catch(() => undefined); // a failure surfaces through the view's first API call
    let path = routeOf(location.pathname);
    route = match(path);
    if (route === undefined) {
      path = routeOf(location.pathname, (await context).tenant);
      route = match(path);
    }
    if (path === '') {
      navigate('/ui/flows', { replace: true });
      return;
    }
    markSection(route?.section);
    if (route === undefined) {
      main.replaceChildren(h('h1', { tabindex: '-1' }, 'Not found'), h('p', {}, 'No page at ', h('code', {}, location.pathname), '.'));
    } else {
      const module = await route.load();
      if (controller.signal.aborted) return;
      await module[route.view]({
        main,
        params: route.params,
        query: new URLSearchParams(location.search),
        signal: controller.signal,
        navigate,
      });
    }
  } catch (e) {
    if (controller.signal.aborted) return;
    const message =
      e instanceof ApiError ? `${e.message}${e.details.length > 0 ? `\n${e.details.join('\n')}` : ''}` : String(e?.message ?? e);
    main.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBox(message));
  }
  if (controller.signal.aborted) return;
  // For measuring: when the first view had its content (see test/ui/support/measure.ts).
  if (performance.getEntriesByName('pebbleflow:view-rendered').length === 0) performance.mark('pebbleflow:view-rendered');
  const heading = main.querySelector('h1');
  document.title = heading === null ? 'pebbleflow' : `${heading.textContent} · pebbleflow`;
  // Moving focus to the new page's heading tells keyboard and screen-reader users the page changed.
  if (focus && heading !== null) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function markSection(section) {
  for (const a of document.querySelectorAll('nav a[data-section]')) {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target instanceof Element ? event.target.closest('a[href]') : null;
  if (a === null || a.target !== '' || a.hasAttribute('download')) return;
  const url = new URL(a.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/')) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash !== '') return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

addEventListener('popstate', () => void render({ focus: true }));
void render({ focus: false });
