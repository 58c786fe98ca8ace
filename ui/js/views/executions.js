// Executions: a list (state, flow, start, duration, trigger) kept current by one server-sent event
// stream of every execution change; filters by namespace, flow and state live in the URL.
import { api, enc, serverContext } from '../api.js';
import { filter, formatDate, formatDuration, h, shortType, startOf, stateBadge, stateDuration, TERMINATED, show } from '../dom.js';

const PAGE = 100;

export async function executionsView({ main, query, signal }) {
  const filters = { namespace: query.get('namespace') ?? '', flowId: query.get('flowId') ?? '', state: query.get('state') ?? '' };
  const [namespaces, { states }] = await Promise.all([api('/flows/distinct-namespaces'), serverContext()]);
  const rows = new Map();
  const tbody = h('tbody', {});
  const summary = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const live = h('span', { class: 'muted' });
  let total = 0;

  const matches = (e) =>
    (filters.namespace === '' || e.namespace === filters.namespace || e.namespace.startsWith(`${filters.namespace}.`)) &&
    (filters.flowId === '' || e.flowId === filters.flowId) &&
    (filters.state === '' || e.state.current === filters.state);

  const row = (e) =>
    h(
      'tr',
      { 'data-execution': e.id },
      h('td', {}, stateBadge(e.state.current)),
      h('td', {}, h('a', { href: `/ui/flows/${enc(e.namespace)}/${enc(e.flowId)}` }, `${e.namespace}.${e.flowId}`)),
      h(
        'td',
        {},
        h(
          'a',
          { href: `/ui/executions/${enc(e.namespace)}/${enc(e.flowId)}/${enc(e.id)}`, class: 'mono', 'aria-label': `Execution ${e.id}` },
          e.id,
        ),
      ),
      h('td', {}, formatDate(startOf(e.state))),
      h('td', { 'data-duration': TERMINATED.has(e.state.current) ? null : startOf(e.state) }, formatDuration(stateDuration(e.state))),
      h('td', {}, e.trigger === undefined ? h('span', { class: 'muted' }, 'manual') : `${e.trigger.id} (${shortType(e.trigger.type)})`),
    );

  const showCount = () =>
    summary.replaceChildren(`${total} execution${total === 1 ? '' : 's'}${total > rows.size ? `, the newest ${rows.size} shown` : ''}.`);

  async function load() {
    const params = new URLSearchParams({ page: '1', size: String(PAGE) });
    for (const [k, v] of Object.entries(filters)) if (v !== '') params.set(k, v);
    const page = await api(`/executions/search?${params}`);
    total = page.total;
    rows.clear();
    tbody.replaceChildren(
      ...page.results.map((e) => {
        const tr = row(e);
        rows.set(e.id, tr);
        return tr;
      }),
    );
    showCount();
  }

  const nsSelect = h(
    'select',
    {},
    h('option', { value: '' }, 'All namespaces'),
    namespaces.map((n) => h('option', { value: n, selected: n === filters.namespace }, n)),
  );
  const flowInput = h('input', { type: 'search', value: filters.flowId, placeholder: 'flow id' });
  const stateSelect = h(
    'select',
    {},
    h('option', { value: '' }, 'All states'),
    states.map((s) => h('option', { value: s, selected: s === filters.state }, s)),
  );
  const onFilter = async () => {
    filters.namespace = nsSelect.value;
    filters.flowId = flowInput.value.trim();
    filters.state = stateSelect.value;
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
    await load();
    // After the list changed, so the address always matches what is shown.
    history.replaceState(null, '', `/ui/executions${params.size === 0 ? '' : `?${params}`}`);
  };
  nsSelect.addEventListener('change', onFilter);
  stateSelect.addEventListener('change', onFilter);
  flowInput.addEventListener('change', onFilter);

  await load();
  show(
    main,
    h('h1', {}, 'Executions'),
    h(
      'form',
      { class: 'row filters', role: 'search', 'aria-label': 'Filter executions', onsubmit: (e) => (e.preventDefault(), void onFilter()) },
      filter('Namespace', nsSelect),
      filter('Flow', flowInput),
      filter('State', stateSelect),
      live,
    ),
    summary,
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['State', 'Flow', 'Execution', 'Start', 'Duration', 'Trigger'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      tbody,
    ),
  );

  // Live: each change replaces its row, or adds a new execution at the top when it matches.
  const { tenant } = await serverContext();
  const source = new EventSource(`/api/v1/${enc(tenant)}/pebbleflow/ui/executions/follow`);
  source.onopen = () => live.replaceChildren('Live');
  source.onerror = () => live.replaceChildren('Reconnecting…');
  source.onmessage = (message) => {
    let e;
    try {
      e = JSON.parse(message.data);
    } catch {
      return;
    }
    const existing = rows.get(e.id);
    if (!matches(e)) {
      if (existing !== undefined) {
        existing.remove();
        rows.delete(e.id);
        total--;
        showCount();
      }
      return;
    }
    const tr = row(e);
    if (existing !== undefined) existing.replaceWith(tr);
    else {
      tbody.prepend(tr);
      total++;
      showCount();
    }
    rows.set(e.id, tr);
  };
  // Running executions' durations count up.
  const timer = setInterval(() => {
    for (const cell of tbody.querySelectorAll('td[data-duration]'))
      cell.textContent = formatDuration(Date.now() - Date.parse(cell.dataset.duration));
  }, 1000);
  signal.addEventListener('abort', () => {
    source.close();
    clearInterval(timer);
  });
}
