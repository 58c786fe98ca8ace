// A JSON value as a tree: objects and lists fold with real buttons (aria-expanded), the first three
// levels open; strings are quoted so `"1"` and `1` differ as they do in the data.
import { h } from './dom.js';

function leaf(value) {
  if (value === null || value === undefined) return h('span', { class: 'z' }, 'null');
  if (typeof value === 'string') return h('span', { class: 's' }, JSON.stringify(value));
  if (typeof value === 'number') return h('span', { class: 'n' }, String(value));
  if (typeof value === 'boolean') return h('span', { class: 'b' }, String(value));
  return h('span', {}, String(value));
}

function node(key, value, depth) {
  const label = key === undefined ? '' : [h('span', { class: 'k' }, key), ': '];
  if (value === null || typeof value !== 'object') return h('li', {}, label, leaf(value));
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  if (entries.length === 0) return h('li', {}, label, h('span', { class: 'z' }, Array.isArray(value) ? '[]' : '{}'));
  const open = depth < 3;
  const children = h(
    'ul',
    { hidden: !open },
    entries.map(([k, v]) => node(k, v, depth + 1)),
  );
  const toggle = h(
    'button',
    { type: 'button', class: 'toggle', 'aria-expanded': String(open), 'aria-label': `${key ?? 'value'} ${summary}` },
    open ? '▾' : '▸',
  );
  toggle.addEventListener('click', () => {
    const expanded = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(expanded));
    toggle.textContent = expanded ? '▾' : '▸';
    children.hidden = !expanded;
  });
  return h('li', {}, toggle, label, h('span', { class: 'z' }, summary), children);
}

export function jsonTree(value, label) {
  return h('div', { class: 'tree', role: 'group', 'aria-label': label }, h('ul', {}, node(undefined, value, 0)));
}
