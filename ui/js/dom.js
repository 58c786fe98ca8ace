// DOM helpers: every text goes in through text nodes or attributes, never as HTML, so nothing a
// flow, a log line or an output contains can become markup.

/**
 * Creates an element. Props: `class`, `on<event>` handlers, `value`/`checked`/`disabled`/`selected`
 * as properties, everything else as attributes (`true` → present, `false`/null/undefined → absent).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'multiple']);

function setProps(el, props) {
  if (props == null) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let ids = 0;
/** A document-unique id for label/aria wiring. */
export const uid = (prefix) => `${prefix}-${++ids}`;

/** A state as a coloured word (the word carries the meaning; the colour only helps). */
export const stateBadge = (state) => h('span', { class: `state state-${state}` }, state);

export const TERMINATED = new Set(['SUCCESS', 'WARNING', 'FAILED', 'KILLED', 'CANCELLED', 'SKIPPED']);

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** Local date and time, to the second: `2026-12-02 15:40:01`. */
export function formatDate(iso) {
  if (iso === undefined || iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local time with milliseconds, for log lines. */
export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `850 ms`, `4.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
}

/** How long a Kestra `state` lasted (or has lasted so far). */
export function stateDuration(state, now = Date.now()) {
  const start = Date.parse(state?.startDate ?? state?.histories?.[0]?.date ?? '');
  if (Number.isNaN(start)) return undefined;
  const endText = state.endDate ?? (TERMINATED.has(state.current) ? state.histories?.at(-1)?.date : undefined);
  const end = endText === undefined ? now : Date.parse(endText);
  return Math.max(0, end - start);
}

export const startOf = (state) => state?.startDate ?? state?.histories?.[0]?.date;

/** The short name of a task or trigger type: `io.kestra.plugin.core.log.Log` → `Log`. */
export const shortType = (type) => (typeof type === 'string' ? type.slice(type.lastIndexOf('.') + 1) : '');

/** A message box; `role=alert` for errors so they are announced. */
export const errorBox = (text) => h('div', { class: 'error-box', role: 'alert' }, text);

/** A labelled filter control (the label beside the control, so its name is the label alone). */
export function filter(label, control) {
  control.id ||= uid('filter');
  return h('div', { class: 'filter' }, h('label', { for: control.id }, label), control);
}

/** Replaces an element's content (lists of children flattened, empty values skipped). */
export function show(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
