// One execution: the Logs tab first (live over server-sent events, levels coloured, filtered by
// level and task), a Gantt of its task runs (loop children with their values; a click shows the
// attempts and outputs), Outputs as JSON trees, and Kill / Resume where they apply.
import { api, enc, follow } from '../api.js';
import {
  errorBox,
  filter,
  formatDate,
  formatDuration,
  formatTime,
  h,
  shortType,
  startOf,
  stateBadge,
  stateDuration,
  TERMINATED,
  uid,
  show,
} from '../dom.js';
import { formDataOf, inputFields } from '../execute-form.js';
import { jsonTree } from '../json-tree.js';
import { branchesOf } from '../topology.js';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Tabs as WAI-ARIA describes them: real buttons, arrow keys move between them, one tab stop. */
function tabs(label, defs) {
  const list = h('div', { role: 'tablist', 'aria-label': label });
  const buttons = [];
  const panels = [];
  const select = (index, focus) => {
    buttons.forEach((b, i) => {
      b.setAttribute('aria-selected', String(i === index));
      b.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    if (focus) buttons[index].focus();
    defs[index].onShow?.();
  };
  defs.forEach((def, index) => {
    const tabId = uid('tab');
    const panelId = uid('panel');
    const button = h('button', { type: 'button', role: 'tab', id: tabId, 'aria-controls': panelId }, def.name);
    button.addEventListener('click', () => select(index, false));
    buttons.push(button);
    panels.push(h('div', { role: 'tabpanel', id: panelId, 'aria-labelledby': tabId, tabindex: '0' }, def.panel));
    list.append(button);
  });
  list.addEventListener('keydown', (event) => {
    const at = buttons.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    select((next + buttons.length) % buttons.length, true);
  });
  select(0, false);
  return [list, ...panels];
}

/** Task runs in tree order (children under their parent, creation order among siblings), with depth. */
function ordered(taskRuns) {
  const children = new Map();
  for (const t of taskRuns) {
    const key = t.parentTaskRunId ?? '';
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(t);
  }
  const known = new Set(taskRuns.map((t) => t.id));
  const out = [];
  const walk = (key, depth) => {
    for (const t of children.get(key) ?? []) {
      out.push({ run: t, depth });
      walk(t.id, depth + 1);
    }
  };
  walk('', 0);
  // A child whose parent is not in the list (should not happen) still shows.
  for (const t of taskRuns) if (t.parentTaskRunId !== undefined && !known.has(t.parentTaskRunId)) out.push({ run: t, depth: 1 });
  return out;
}

function attemptsTable(run) {
  const attempts = Array.isArray(run.attempts) ? run.attempts : [];
  if (attempts.length === 0) return h('p', { class: 'muted' }, 'No attempts (a flowable task runs its children instead).');
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Attempt', 'State', 'Start', 'End', 'Duration', 'Worker'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      attempts.map((a, i) =>
        h(
          'tr',
          {},
          h('td', {}, String(i + 1)),
          h('td', {}, stateBadge(a.state.current)),
          h('td', {}, formatDate(startOf(a.state))),
          h('td', {}, formatDate(a.state.endDate)),
          h('td', {}, formatDuration(stateDuration(a.state))),
          h('td', { class: 'mono' }, a.workerId ?? ''),
        ),
      ),
    ),
  );
}

function taskOutputs(taskRuns) {
  const out = {};
  for (const t of taskRuns) {
    if (t.outputs === undefined || Object.keys(t.outputs).length === 0) continue;
    if (t.value === undefined) out[t.taskId] = t.outputs;
    else (out[t.taskId] ??= {})[t.value] = t.outputs;
  }
  return out;
}

/** A task of a flow by id, however deep (children found as the topology finds them). */
function findTask(flow, taskId) {
  const walk = (tasks) => {
    for (const t of tasks ?? []) {
      if (t?.id === taskId) return t;
      for (const b of branchesOf(t)) {
        const found = walk(b.tasks);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return walk([...(flow.tasks ?? []), ...(flow.errors ?? []), ...(flow.finally ?? []), ...(flow.afterExecution ?? [])]);
}

export async function executionView({ main, params, signal }) {
  const id = params[2];
  let execution = await api(`/executions/${enc(id)}`);
  const logs = [];
  // Task runs by id, rebuilt once per execution change (log lines look their loop value up here).
  let runs = new Map();

  // --- header ---------------------------------------------------------------------------------
  const stateCell = h('dd', {});
  const durationCell = h('dd', {});
  const startCell = h('dd', {});
  const failure = h('div', {});
  const notice = h('div', { role: 'status', 'aria-live': 'polite' });
  const kill = h('button', { type: 'button', class: 'danger' }, 'Kill');
  const resume = h('button', { type: 'button', class: 'primary' }, 'Resume');
  const act = async (button, what, call) => {
    button.disabled = true;
    notice.replaceChildren(`${what}…`);
    try {
      await call();
      notice.replaceChildren(`${what} requested.`);
    } catch (e) {
      notice.replaceChildren(errorBox(`${what} refused: ${e.message}`));
    } finally {
      button.disabled = false;
    }
  };
  kill.addEventListener('click', () => act(kill, 'Kill', () => api(`/executions/${enc(id)}/kill`, { method: 'DELETE' })));
  // A Pause may ask for inputs on resume (`onResume`): they are asked here, above the Resume button.
  const resumeForm = h('form', { id: uid('resume-form'), 'aria-label': 'Resume inputs', hidden: true });
  resumeForm.addEventListener('submit', (event) => event.preventDefault());
  let resumeFor;
  const showResumeInputs = async () => {
    const paused = (execution.taskRunList ?? []).find((t) => t.state.current === 'PAUSED');
    if (execution.state.current !== 'PAUSED' || paused === undefined) {
      resumeForm.hidden = true;
      resumeFor = undefined;
      return;
    }
    if (resumeFor === paused.id) return;
    resumeFor = paused.id;
    const flow = await api(`/executions/${enc(id)}/flow`).catch(() => undefined);
    if (resumeFor !== paused.id) return; // resumed (or paused elsewhere) meanwhile
    const task = flow === undefined ? undefined : findTask(flow, paused.taskId);
    const inputs = Array.isArray(task?.onResume) ? task.onResume : [];
    show(resumeForm, inputs.length === 0 ? '' : [h('h2', {}, `Inputs to resume ${paused.taskId}`), inputFields(inputs)]);
    resumeForm.hidden = inputs.length === 0;
  };
  resume.addEventListener('click', () => {
    if (!resumeForm.hidden && !resumeForm.reportValidity()) return;
    void act(resume, 'Resume', () => api(`/executions/${enc(id)}/resume`, { method: 'POST', body: formDataOf(resumeForm) }));
  });

  // --- logs -------------------------------------------------------------------------------------
  const levelSelect = h(
    'select',
    { id: uid('level') },
    LEVELS.map((l) => h('option', { value: l }, l === 'TRACE' ? 'All levels' : `${l} and above`)),
  );
  const taskSelect = h('select', { id: uid('task') }, h('option', { value: '' }, 'All tasks'));
  const logCount = h('span', { class: 'muted', role: 'status' });
  const logList = h('ol', {});
  const logBox = h('div', { class: 'logs', role: 'log', 'aria-label': 'Log lines' }, logList);
  const shown = (r) =>
    LEVELS.indexOf(r.level) >= LEVELS.indexOf(levelSelect.value) && (taskSelect.value === '' || r.taskId === taskSelect.value);
  const logLine = (r) => {
    const run = r.taskRunId === undefined ? undefined : runs.get(r.taskRunId);
    const task = r.taskId === undefined ? '' : `${r.taskId}${run?.value === undefined ? '' : ` [${run.value}]`}`;
    return h(
      'li',
      { 'data-level': r.level },
      h('time', { datetime: r.timestamp }, formatTime(r.timestamp)),
      h('span', { class: `level level-${r.level}` }, r.level),
      h('span', { class: 'task', title: task }, task),
      h('span', { class: 'msg' }, r.message),
    );
  };
  const countLogs = () => {
    const n = logList.childElementCount;
    logCount.replaceChildren(n === logs.length ? `${n} line${n === 1 ? '' : 's'}` : `${n} of ${logs.length} lines`);
  };
  const renderLogs = () => {
    logList.replaceChildren(...logs.filter(shown).map(logLine));
    countLogs();
  };
  levelSelect.addEventListener('change', renderLogs);
  taskSelect.addEventListener('change', renderLogs);
  const taskIds = new Set();
  const addTaskOption = (taskId) => {
    if (taskId === undefined || taskIds.has(taskId)) return;
    taskIds.add(taskId);
    taskSelect.append(h('option', { value: taskId }, taskId));
  };
  const addLog = (r) => {
    logs.push(r);
    addTaskOption(r.taskId);
    if (!shown(r)) return countLogs();
    const atBottom = logBox.scrollHeight - logBox.scrollTop - logBox.clientHeight < 40;
    logList.append(logLine(r));
    if (atBottom) logBox.scrollTop = logBox.scrollHeight;
    countLogs();
    if (r.level === 'ERROR') renderFailure();
  };

  // --- gantt ------------------------------------------------------------------------------------
  const ganttList = h('ol', { 'aria-label': 'Task runs' });
  const detail = h('section', { class: 'detail panel', 'aria-live': 'polite', hidden: true });
  let selected;
  let shownDetail = '';
  const renderDetail = () => {
    const run = selected === undefined ? undefined : runs.get(selected);
    if (run === undefined) return;
    const key = JSON.stringify(run);
    if (key === shownDetail) return;
    shownDetail = key;
    detail.hidden = false;
    detail.replaceChildren(
      h('h3', { tabindex: '-1' }, `${run.taskId}${run.value === undefined ? '' : ` [${run.value}]`}`),
      h(
        'p',
        {},
        stateBadge(run.state.current),
        ` task run ${run.id}, started ${formatDate(startOf(run.state))}, ${formatDuration(stateDuration(run.state))}`,
      ),
      h('h4', {}, 'Attempts'),
      attemptsTable(run),
      h('h4', {}, 'Outputs'),
      run.outputs === undefined || Object.keys(run.outputs).length === 0
        ? h('p', { class: 'muted' }, 'No outputs.')
        : jsonTree(run.outputs, `Outputs of ${run.taskId}`),
    );
  };
  // Zoom: the visible window of the run, as fractions of its whole span (a long run's short task
  // runs are a pixel wide at full view). Zooming centres on the selected task run, if any.
  let view = { from: 0, to: 1 };
  let selectedCenter;
  const windowText = h('span', { class: 'muted', 'aria-live': 'polite' });
  const zoom = (factor) => {
    const width = Math.min(1, Math.max(1 / 4096, (view.to - view.from) * factor));
    const center = selectedCenter ?? (view.from + view.to) / 2;
    const from = Math.min(Math.max(0, center - width / 2), 1 - width);
    view = { from, to: from + width };
    renderGantt();
  };
  const zoomButton = (label, text, onClick) => {
    const b = h('button', { type: 'button', 'aria-label': label, title: label }, text);
    b.addEventListener('click', onClick);
    return b;
  };
  const zoomBar = h(
    'div',
    { class: 'row zoom', role: 'toolbar', 'aria-label': 'Gantt zoom' },
    zoomButton('Zoom in', '+', () => zoom(0.5)),
    zoomButton('Zoom out', '−', () => zoom(2)),
    zoomButton('Fit', 'Fit', () => {
      view = { from: 0, to: 1 };
      renderGantt();
    }),
    windowText,
  );
  const renderGantt = () => {
    const rows = ordered(execution.taskRunList ?? []);
    const t0 = Date.parse(startOf(execution.state));
    const now = Date.now();
    const ends = rows.map(({ run }) => Date.parse(startOf(run.state)) + (stateDuration(run.state, now) ?? 0));
    const span = Math.max(1, ...ends.map((e) => e - t0), stateDuration(execution.state, now) ?? 0);
    const shown = view.to - view.from;
    windowText.replaceChildren(shown >= 1 ? '' : `Showing ${formatDuration(view.from * span)} to ${formatDuration(view.to * span)}`);
    selectedCenter = undefined;
    ganttList.replaceChildren(
      ...rows.map(({ run, depth }) => {
        const start = Date.parse(startOf(run.state)) - t0;
        const duration = stateDuration(run.state, now) ?? 0;
        const name = `${run.taskId}${run.value === undefined ? '' : ` [${run.value}]`}`;
        const bar = h('button', {
          type: 'button',
          class: `bar state-${run.state.current}`,
          'aria-label': `${name}, ${formatDuration(duration)}`,
          'aria-pressed': String(selected === run.id),
        });
        // Positions come from numbers only (CSP allows no inline style text from the server).
        const left = Math.max(0, start) / span;
        if (selected === run.id) selectedCenter = left + duration / span / 2;
        bar.style.left = `${((left - view.from) / shown) * 100}%`;
        bar.style.width = `${Math.max(0.4, (duration / span / shown) * 100)}%`;
        bar.addEventListener('click', () => {
          selected = run.id;
          shownDetail = '';
          renderGantt();
          detail.querySelector('h3')?.focus();
        });
        const label = h(
          'span',
          { class: 'name', title: name },
          '\u00a0'.repeat(depth * 3),
          run.taskId,
          run.value === undefined ? '' : h('span', { class: 'value' }, ` [${run.value}]`),
        );
        return h(
          'li',
          { 'data-task-run': run.id },
          label,
          h('div', { class: 'track' }, bar),
          h('span', { class: 'dur' }, run.state.current, h('br'), formatDuration(duration)),
        );
      }),
    );
    if (rows.length === 0) ganttList.replaceChildren(h('li', { class: 'muted' }, 'No task run yet.'));
    renderDetail();
  };

  // --- outputs ----------------------------------------------------------------------------------
  const outputsPanel = h('div', {});
  let shownOutputs = '';
  const renderOutputs = () => {
    const data = { outputs: execution.outputs, tasks: taskOutputs(execution.taskRunList ?? []), inputs: execution.inputs };
    const key = JSON.stringify(data);
    if (key === shownOutputs) return;
    shownOutputs = key;
    outputsPanel.replaceChildren(
      h('h3', {}, 'Flow outputs'),
      data.outputs === undefined || Object.keys(data.outputs).length === 0
        ? h('p', { class: 'muted' }, 'None.')
        : jsonTree(data.outputs, 'Flow outputs'),
      h('h3', {}, 'Task outputs'),
      Object.keys(data.tasks).length === 0 ? h('p', { class: 'muted' }, 'None.') : jsonTree(data.tasks, 'Task outputs'),
      h('h3', {}, 'Inputs'),
      data.inputs === undefined || Object.keys(data.inputs).length === 0
        ? h('p', { class: 'muted' }, 'None.')
        : jsonTree(data.inputs, 'Inputs'),
    );
  };

  // --- state ------------------------------------------------------------------------------------
  function renderFailure() {
    if (execution.state.current !== 'FAILED') return failure.replaceChildren();
    const failed = (execution.taskRunList ?? [])
      .filter((t) => t.state.current === 'FAILED')
      .map((t) => `${t.taskId}${t.value === undefined ? '' : ` [${t.value}]`}`);
    const firstError = logs.find((r) => r.level === 'ERROR');
    failure.replaceChildren(
      errorBox(
        `Failed${failed.length === 0 ? '' : ` at ${failed.join(', ')}`}${firstError === undefined ? '' : `: ${firstError.taskId === undefined ? '' : `[${firstError.taskId}] `}${firstError.message}`}`,
      ),
    );
  }
  const update = (next) => {
    execution = next;
    runs = new Map((execution.taskRunList ?? []).map((t) => [t.id, t]));
    stateCell.replaceChildren(stateBadge(execution.state.current));
    startCell.replaceChildren(formatDate(startOf(execution.state)));
    durationCell.replaceChildren(formatDuration(stateDuration(execution.state)));
    const over = TERMINATED.has(execution.state.current);
    kill.hidden = over;
    resume.hidden = execution.state.current !== 'PAUSED';
    void showResumeInputs();
    for (const t of execution.taskRunList ?? []) addTaskOption(t.taskId);
    renderFailure();
    renderGantt();
    renderOutputs();
  };

  const labels = Array.isArray(execution.labels) ? execution.labels.filter((l) => !l.key.startsWith('system.')) : [];
  show(
    main,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '/ui/executions' }, 'Execution list'),
      ` / ${execution.namespace} / `,
      h('a', { href: `/ui/flows/${enc(execution.namespace)}/${enc(execution.flowId)}` }, execution.flowId),
    ),
    h('h1', {}, `Execution ${execution.id}`),
    h(
      'div',
      { class: 'panel head' },
      h(
        'dl',
        {},
        h('div', {}, h('dt', {}, 'State'), stateCell),
        h('div', {}, h('dt', {}, 'Flow'), h('dd', {}, `${execution.namespace}.${execution.flowId} rev ${execution.flowRevision}`)),
        h('div', {}, h('dt', {}, 'Start'), startCell),
        h('div', {}, h('dt', {}, 'Duration'), durationCell),
        h(
          'div',
          {},
          h('dt', {}, 'Trigger'),
          h('dd', {}, execution.trigger === undefined ? 'manual' : `${execution.trigger.id} (${shortType(execution.trigger.type)})`),
        ),
        labels.length === 0 ? '' : h('div', {}, h('dt', {}, 'Labels'), h('dd', {}, labels.map((l) => `${l.key}: ${l.value}`).join(', '))),
      ),
      h('div', { class: 'actions' }, kill, resume),
    ),
    resumeForm,
    notice,
    failure,
    ...tabs('Execution', [
      {
        name: 'Logs',
        panel: [h('div', { class: 'row filters' }, filter('Level', levelSelect), filter('Task', taskSelect), logCount), logBox],
      },
      { name: 'Gantt', panel: [zoomBar, h('div', { class: 'gantt' }, ganttList), detail], onShow: renderGantt },
      { name: 'Outputs', panel: outputsPanel },
    ]),
  );
  update(execution);
  countLogs();

  const timer = setInterval(() => {
    if (TERMINATED.has(execution.state.current)) return;
    durationCell.replaceChildren(formatDuration(stateDuration(execution.state)));
  }, 1000);
  const controller = new AbortController();
  signal.addEventListener('abort', () => {
    controller.abort();
    clearInterval(timer);
  });
  void follow(`/executions/${enc(id)}/follow`, (event) => update(event.data), controller.signal).catch((e) =>
    notice.replaceChildren(errorBox(`Live updates stopped: ${e.message}`)),
  );
  void follow(`/logs/${enc(id)}/follow`, (event) => addLog(event.data), controller.signal).catch((e) =>
    notice.replaceChildren(errorBox(`Live logs stopped: ${e.message}`)),
  );
}
