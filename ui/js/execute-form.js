// The Execute form of a flow, built from its `inputs`: one labelled field per input (the label is
// the input's id; its description follows as the field's description), typed as Kestra's UI types
// them: SECRET as a password field, FILE as an upload, SELECT/MULTISELECT as lists, JSON/YAML/ARRAY
// as text areas. Empty fields are not sent, so the server applies defaults and reports what is missing.
import { h, uid } from './dom.js';

const asText = (v) =>
  v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v, null, 2) : String(v);

/** `2026-12-02T15:40:01Z` → the `datetime-local` value in the browser's zone. */
function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 19);
}

function control(input, id, describedBy) {
  const type = String(input.type ?? 'STRING').toUpperCase();
  const common = {
    id,
    name: input.id,
    'aria-describedby': describedBy,
    required: input.required !== false && input.defaults === undefined,
    'data-type': type,
  };
  const def = input.defaults ?? input.prefill;
  switch (type) {
    case 'INT':
      return h('input', { ...common, type: 'number', step: '1', inputmode: 'numeric', value: asText(def), min: input.min, max: input.max });
    case 'FLOAT':
      return h('input', { ...common, type: 'number', step: 'any', value: asText(def), min: input.min, max: input.max });
    case 'BOOLEAN':
    case 'BOOL':
      return h(
        'select',
        common,
        h('option', { value: '', selected: def === undefined }, '(not set)'),
        h('option', { value: 'true', selected: def === true || def === 'true' }, 'true'),
        h('option', { value: 'false', selected: def === false || def === 'false' }, 'false'),
      );
    case 'SELECT':
    case 'ENUM':
    case 'MULTISELECT': {
      const multiple = type === 'MULTISELECT';
      const chosen = new Set((Array.isArray(def) ? def : def === undefined ? [] : [def]).map(String));
      return h(
        'select',
        { ...common, multiple },
        multiple ? '' : h('option', { value: '', selected: chosen.size === 0 }, '(choose)'),
        (input.values ?? []).map((v) => h('option', { value: String(v), selected: chosen.has(String(v)) }, String(v))),
      );
    }
    case 'SECRET':
      return h('input', { ...common, type: 'password', autocomplete: 'off', spellcheck: 'false' });
    case 'FILE':
      return h('input', { ...common, type: 'file' });
    case 'DATETIME':
      return h('input', { ...common, type: 'datetime-local', step: '1', value: def === undefined ? '' : toLocalInput(def) });
    case 'DATE':
      return h('input', { ...common, type: 'date', value: asText(def) });
    case 'TIME':
      return h('input', { ...common, type: 'time', step: '1', value: asText(def) });
    case 'EMAIL':
      return h('input', { ...common, type: 'email', value: asText(def) });
    case 'URI':
      return h('input', { ...common, type: 'url', value: asText(def) });
    case 'JSON':
    case 'YAML':
    case 'ARRAY':
      return h('textarea', { ...common, rows: 4, spellcheck: 'false', value: asText(def) });
    case 'DURATION':
      return h('input', { ...common, type: 'text', placeholder: 'PT1H30M', value: asText(def) });
    default:
      return h('input', { ...common, type: 'text', value: asText(def) });
  }
}

/** The fields of the form; `inputs` as written in the flow (Kestra's `id`, or the older `name`). */
export function inputFields(inputs) {
  return (Array.isArray(inputs) ? inputs : [])
    .map((i) => ({ ...i, id: i.id ?? i.name }))
    .filter((i) => typeof i.id === 'string')
    .map((input) => {
      const id = uid('input');
      const hintId = `${id}-hint`;
      const errorId = `${id}-error`;
      const type = String(input.type ?? 'STRING').toUpperCase();
      const required = input.required !== false;
      const hint = [
        input.displayName && input.displayName !== input.id ? input.displayName : '',
        input.description ?? '',
        `${type}${input.itemType === undefined ? '' : ` of ${input.itemType}`}${required ? ', required' : ', optional'}${input.defaults === undefined ? '' : `, default ${asText(input.defaults)}`}`,
        type === 'ARRAY' ? 'a JSON list, e.g. ["a", "b"]' : '',
      ]
        .filter((x) => x !== '')
        .join(' · ');
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id }, input.id),
        control(input, id, `${hintId} ${errorId}`),
        h('span', { class: 'hint', id: hintId }, hint),
        h('span', { class: 'field-error', id: errorId, 'data-error-for': input.id }),
      );
    });
}

/** The form data to send: only fields with a value; datetime-local values as ISO instants. */
export function formDataOf(form) {
  const data = new FormData();
  for (const el of form.querySelectorAll('[name]')) {
    const name = el.getAttribute('name');
    if (el instanceof HTMLInputElement && el.type === 'file') {
      for (const file of el.files ?? []) data.append(name, file, file.name);
    } else if (el instanceof HTMLSelectElement && el.multiple) {
      for (const o of el.selectedOptions) data.append(name, o.value);
    } else if (el.value !== '') {
      data.append(name, el instanceof HTMLInputElement && el.type === 'datetime-local' ? new Date(el.value).toISOString() : el.value);
    }
  }
  return data;
}

/** What the live validation sends: the fields with a value, files left out (they are uploaded on Execute only). */
export function validationData(form) {
  const data = formDataOf(form);
  for (const [name, value] of [...data.entries()]) if (value instanceof File) data.delete(name);
  return data;
}

/**
 * Shows the server's answer to `/validate` (Kestra's ApiValidateExecutionInputsResponse): each
 * input's errors under its field, once the user has touched it (or always, with `all`), and the
 * flow checks that fail, styled as they ask (ERROR, WARNING, INFO, SUCCESS).
 */
export function showValidation(form, checksBox, answer, { all = false } = {}) {
  for (const item of Array.isArray(answer.inputs) ? answer.inputs : []) {
    const id = item.input?.id;
    if (typeof id !== 'string') continue;
    const box = [...form.querySelectorAll('[data-error-for]')].find((el) => el.getAttribute('data-error-for') === id);
    const control = [...form.querySelectorAll('[name]')].find((el) => el.getAttribute('name') === id);
    if (box === undefined) continue;
    const errors = (Array.isArray(item.errors) ? item.errors : []).map((e) => e.message).filter((m) => typeof m === 'string');
    const shown = errors.length > 0 && (all || control?.dataset.touched === 'true');
    box.textContent = shown ? errors.join(' ') : '';
    if (control !== undefined) {
      if (shown) control.setAttribute('aria-invalid', 'true');
      else control.removeAttribute('aria-invalid');
    }
  }
  const checks = Array.isArray(answer.checks) ? answer.checks : [];
  checksBox.replaceChildren(
    ...checks.map((c) => {
      const style = String(c.style ?? 'INFO').toLowerCase();
      return h('p', { class: `check check-${style}`, 'data-behavior': c.behavior ?? '' }, String(c.message ?? ''));
    }),
  );
}
