// A small YAML highlighter for flow sources: keys, strings, numbers, booleans, comments and
// `{{ … }}` / `{% … %}` template parts, line by line (block scalars stay strings). Output is DOM
// nodes, one `.ln` per line, so the numbers come from CSS and copying the text copies the YAML.
import { h } from './dom.js';

const TEMPLATE = /(\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\})/;

function withTemplates(text, cls) {
  return text
    .split(TEMPLATE)
    .filter((part) => part !== '')
    .map((part) => (TEMPLATE.test(part) ? h('span', { class: 'y-tpl' }, part) : h('span', { class: cls }, part)));
}

function scalar(text) {
  const trimmed = text.trim();
  if (trimmed === '') return [text];
  if (/^(true|false|null|~|yes|no)$/i.test(trimmed)) return [h('span', { class: 'y-bool' }, text)];
  if (/^[-+]?(\d[\d_]*(\.\d+)?([eE][-+]?\d+)?|\.inf|\.nan|0x[0-9a-fA-F]+)$/.test(trimmed)) return [h('span', { class: 'y-num' }, text)];
  if (/^[|>][-+0-9]*$/.test(trimmed)) return [h('span', { class: 'y-punct' }, text)];
  return withTemplates(text, 'y-str');
}

/** Splits `value # comment` where the `#` is outside quotes and follows a space. */
function splitComment(text) {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) return [text.slice(0, i), text.slice(i)];
  }
  return [text, ''];
}

export function highlightYaml(source) {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out = [];
  let blockIndent = -1;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (blockIndent >= 0) {
      if (line.trim() === '' || indent > blockIndent) {
        out.push(h('span', { class: 'ln' }, withTemplates(line, 'y-str')));
        continue;
      }
      blockIndent = -1;
    }
    const parts = [];
    let rest = line;
    const lead = /^(\s*(?:-\s+)*)/.exec(rest)[1];
    if (lead !== '') parts.push(h('span', { class: 'y-punct' }, lead));
    rest = rest.slice(lead.length);
    const [code, comment] = splitComment(rest);
    const key = /^((?:"[^"]*"|'[^']*'|[^\s:#][^:#]*?))(\s*:)(\s|$)/.exec(code);
    let value = code;
    if (key !== null) {
      parts.push(h('span', { class: 'y-key' }, key[1]), h('span', { class: 'y-punct' }, key[2]));
      value = code.slice(key[1].length + key[2].length);
    }
    parts.push(...scalar(value));
    if (comment !== '') parts.push(h('span', { class: 'y-com' }, comment));
    if (/^[|>][-+0-9]*$/.test(value.trim())) blockIndent = lead.length; // the key's column: the block is what is indented deeper
    out.push(h('span', { class: 'ln' }, parts.length === 0 ? '' : parts));
  }
  return h('pre', { class: 'source', tabindex: '0', 'aria-label': 'Flow source' }, h('code', {}, out));
}
