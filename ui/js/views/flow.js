// One flow: what it is, its problems, the Execute form, its topology and its highlighted source.
import { api, ApiError, enc } from '../api.js';
import { errorBox, h, shortType, show } from '../dom.js';
import { formDataOf, inputFields, showValidation, validationData } from '../execute-form.js';
import { topology } from '../topology.js';
import { highlightYaml } from '../yaml-highlight.js';
import { problemItem } from './flows.js';

export async function flowView({ main, params, navigate }) {
  const [namespace, id] = params;
  const [flow, files] = await Promise.all([api(`/flows/${enc(namespace)}/${enc(id)}?source=true`), api('/pebbleflow/flow-files')]);
  const file = files.find((f) => f.namespace === namespace && f.id === id);
  const inputs = Array.isArray(flow.inputs) ? flow.inputs : [];

  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Execute');
  // The flow's checks that fail with the inputs as they are (Kestra's Execute modal shows them).
  const checks = h('div', { class: 'checks', role: 'status', 'aria-live': 'polite', 'aria-label': 'Checks' });
  const form = h(
    'form',
    { 'aria-label': `Execute ${flow.id}`, novalidate: false },
    inputs.length === 0 ? h('p', { class: 'muted' }, 'This flow takes no inputs.') : inputFields(inputs),
    checks,
    h('div', { class: 'row' }, submit),
    status,
  );
  // Live validation, as Kestra's UI: the inputs are checked by the server as they change (and once
  // at first, flows without inputs too, for their checks); a later answer replaces an earlier one.
  let asked = 0;
  let timer;
  const validate = async (all = false) => {
    const n = ++asked;
    try {
      const answer = await api(`/executions/${enc(namespace)}/${enc(id)}/validate`, { method: 'POST', body: validationData(form) });
      if (n === asked && form.isConnected) showValidation(form, checks, answer, { all });
    } catch {
      // Advice only: Execute reports what the server refuses.
    }
  };
  const touched = (event) => {
    if (event.target instanceof HTMLElement && event.target.hasAttribute('name')) event.target.dataset.touched = 'true';
    clearTimeout(timer);
    timer = setTimeout(() => void validate(), 250);
  };
  form.addEventListener('input', touched);
  form.addEventListener('change', touched);
  void validate();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    status.replaceChildren('Starting…');
    try {
      const execution = await api(`/executions/${enc(namespace)}/${enc(id)}`, { method: 'POST', body: formDataOf(form) });
      navigate(`/ui/executions/${enc(execution.namespace)}/${enc(execution.flowId)}/${enc(execution.id)}`);
    } catch (e) {
      submit.disabled = false;
      void validate(true);
      const text = e instanceof ApiError ? [e.message, ...e.details.filter((d) => d !== e.message)].join('\n') : String(e);
      status.replaceChildren(errorBox(`Not started: ${text}`));
    }
  });

  const labels = Array.isArray(flow.labels) ? flow.labels : [];
  const triggers = Array.isArray(flow.triggers) ? flow.triggers : [];
  show(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '/ui/flows' }, 'Flow list'), ` / ${flow.namespace}`),
    h('h1', {}, flow.id),
    h(
      'div',
      { class: 'panel head' },
      h(
        'dl',
        {},
        h('div', {}, h('dt', {}, 'Namespace'), h('dd', {}, flow.namespace)),
        h('div', {}, h('dt', {}, 'Revision'), h('dd', {}, String(flow.revision))),
        h('div', {}, h('dt', {}, 'Status'), h('dd', {}, flow.disabled === true ? 'disabled' : 'enabled')),
        h(
          'div',
          {},
          h('dt', {}, 'Triggers'),
          h('dd', {}, triggers.length === 0 ? 'none' : triggers.map((t) => `${t.id} (${shortType(t.type)})`).join(', ')),
        ),
        labels.length === 0 ? '' : h('div', {}, h('dt', {}, 'Labels'), h('dd', {}, labels.map((l) => `${l.key}: ${l.value}`).join(', '))),
      ),
      h(
        'div',
        { class: 'actions' },
        h('a', { href: `/ui/executions?namespace=${enc(flow.namespace)}&flowId=${enc(flow.id)}` }, 'Run history of this flow'),
      ),
    ),
    typeof flow.description === 'string' ? h('p', {}, flow.description) : '',
    file === undefined || file.problems.length === 0
      ? ''
      : h(
          'section',
          { class: 'panel', 'aria-labelledby': 'problems-h' },
          h('h2', { id: 'problems-h' }, 'Problems'),
          h('p', { class: 'muted' }, `The file ${file.file} has problems; revision ${flow.revision} keeps running until they are fixed.`),
          h(
            'ul',
            { class: 'plain' },
            file.problems.map((p) => problemItem(p, file.file)),
          ),
        ),
    h('section', { class: 'panel', 'aria-labelledby': 'topology-h' }, h('h2', { id: 'topology-h' }, 'Topology'), topology(flow)),
    h(
      'div',
      { class: 'grid2' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'source-h' },
        h('h2', { id: 'source-h' }, 'Source'),
        highlightYaml(flow.source ?? ''),
      ),
      h('section', { class: 'panel', 'aria-labelledby': 'execute-h' }, h('h2', { id: 'execute-h' }, 'Execute'), form),
    ),
  );
}
