// Flows: every flow of the flows folder (namespace, id, triggers) with the problems `validate`
// finds in its file, line and column first; files that define no usable flow are listed too.
import { api } from '../api.js';
import { h, shortType, show } from '../dom.js';

export const problemPosition = (p) => (p.line === undefined ? '' : `${p.line}:${p.column ?? 1}`);

export function problemItem(p, file) {
  const where = [file, problemPosition(p)].filter((x) => x !== undefined && x !== '').join(':');
  return h(
    'li',
    { class: 'problem' },
    where === '' ? '' : h('span', { class: 'pos' }, `${where} `),
    p.message,
    p.path === undefined || p.path === '' ? '' : h('span', { class: 'muted' }, ` (at ${p.path})`),
  );
}

function triggerList(triggers) {
  if (!Array.isArray(triggers) || triggers.length === 0) return h('span', { class: 'muted' }, 'none');
  return h(
    'ul',
    { class: 'plain' },
    triggers.map((t) =>
      h(
        'li',
        {},
        h('code', {}, String(t.id ?? '?')),
        ` ${shortType(t.type)}`,
        t.disabled === true ? h('span', { class: 'muted' }, ' (disabled)') : '',
      ),
    ),
  );
}

export async function flowsView({ main }) {
  const [search, files] = await Promise.all([api('/flows/search?size=10000&sort=namespace:asc,id:asc'), api('/pebbleflow/flow-files')]);
  const byFlow = new Map();
  for (const f of files) if (f.namespace !== undefined && f.id !== undefined) byFlow.set(`${f.namespace}\u0000${f.id}`, f);
  const orphans = files.filter(
    (f) =>
      f.problems.length > 0 && (f.namespace === undefined || !search.results.some((r) => r.namespace === f.namespace && r.id === f.id)),
  );
  const problemCount = files.reduce((n, f) => n + f.problems.length, 0);

  const rows = search.results.map((flow) => {
    const file = byFlow.get(`${flow.namespace}\u0000${flow.id}`);
    const problems = file?.problems ?? [];
    return h(
      'tr',
      {},
      h('td', {}, flow.namespace),
      h(
        'td',
        {},
        h('a', { href: `/ui/flows/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(flow.id)}` }, flow.id),
        flow.disabled === true ? h('span', { class: 'muted' }, ' (disabled)') : '',
        typeof flow.description === 'string' ? h('div', { class: 'muted' }, flow.description.split('\n')[0]) : '',
      ),
      h('td', {}, triggerList(flow.triggers)),
      h(
        'td',
        {},
        problems.length === 0
          ? h('span', { class: 'muted' }, 'No problems')
          : h(
              'ul',
              { class: 'plain', 'aria-label': `Problems of ${flow.id}` },
              problems.map((p) => problemItem(p, file.file)),
            ),
      ),
    );
  });

  show(
    main,
    h('h1', {}, 'Flows'),
    h(
      'p',
      { class: 'muted' },
      `${search.total} flow${search.total === 1 ? '' : 's'} in the flows folder; `,
      problemCount === 0 ? 'validate finds no problems.' : `validate finds ${problemCount} problem${problemCount === 1 ? '' : 's'}.`,
    ),
    search.results.length === 0
      ? h('p', { class: 'panel' }, 'No flows yet: save a flow YAML file in the flows folder and it appears here.')
      : h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Namespace'),
              h('th', { scope: 'col' }, 'Flow'),
              h('th', { scope: 'col' }, 'Triggers'),
              h('th', { scope: 'col' }, 'Problems'),
            ),
          ),
          h('tbody', {}, rows),
        ),
    orphans.length === 0
      ? ''
      : [
          h('h2', {}, 'Files with problems'),
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'File'), h('th', { scope: 'col' }, 'Problems'))),
            h(
              'tbody',
              {},
              orphans.map((f) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('code', {}, f.file)),
                  h(
                    'td',
                    {},
                    h(
                      'ul',
                      { class: 'plain' },
                      f.problems.map((p) => problemItem(p, f.file)),
                    ),
                  ),
                ),
              ),
            ),
          ),
        ],
  );
}
