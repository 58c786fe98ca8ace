// The topology of a flow: its tasks left to right, each flowable task a box around its branches
// (`then`/`else`, `cases`, `tasks`, `errors`, `finally`…), drawn as SVG from the flow's own JSON.
// Children are found by shape (lists of `{id, type}`, maps of such lists, Dag's `{task}` entries),
// so a flowable type the UI has never heard of is still shown nested.
import { h, s, shortType } from './dom.js';

const NODE_W = 184;
const NODE_H = 46;
const GAP = 36;
const PAD = 12;
const HEADER = 30;
const LABEL = 18;
const BRANCH_GAP = 10;

// A task has a dotted plugin type; inputs such as Pause's `onResume` (`type: STRING`) are not tasks.
const isTask = (v) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  typeof v.id === 'string' &&
  typeof v.type === 'string' &&
  v.type.includes('.');

/** The child lists of a task, in the order the task declares them. */
export function branchesOf(task) {
  const out = [];
  for (const [key, value] of Object.entries(task)) {
    if (Array.isArray(value)) {
      const tasks = value.map((v) => (isTask(v) ? v : isTask(v?.task) ? v.task : null));
      if (tasks.length > 0 && tasks.every((t) => t !== null)) out.push({ name: key, tasks });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v) && v.length > 0 && v.every(isTask)))
        for (const [k, v] of entries) out.push({ name: `${key}: ${k}`, tasks: v });
    }
  }
  return out;
}

const clip = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function leaf(task) {
  return {
    w: NODE_W,
    h: NODE_H,
    draw(x, y) {
      return s(
        'g',
        { class: 'node' },
        s('title', {}, `${task.id} (${task.type})`),
        s('rect', { x, y, width: NODE_W, height: NODE_H, rx: 6, fill: '#fff', stroke: '#a9adc0' }),
        s('text', { x: x + 10, y: y + 19, 'font-weight': 600, fill: '#1d1f2b' }, clip(task.id, 24)),
        s('text', { x: x + 10, y: y + 36, fill: '#5b6072' }, clip(shortType(task.type), 26)),
      );
    },
  };
}

function sequence(tasks) {
  const items = tasks.map(layoutTask);
  const w = items.reduce((sum, i) => sum + i.w, 0) + GAP * Math.max(0, items.length - 1);
  const hgt = Math.max(NODE_H, ...items.map((i) => i.h));
  return {
    w,
    h: hgt,
    draw(x, y) {
      const out = [];
      let cx = x;
      const mid = y + hgt / 2;
      items.forEach((item, index) => {
        if (index > 0) out.push(edge(cx - GAP, mid, cx, mid));
        out.push(item.draw(cx, y + (hgt - item.h) / 2));
        cx += item.w + GAP;
      });
      return out;
    },
  };
}

/** Children that run side by side (Parallel, EachParallel, Dag): stacked, each its own lane. */
function stack(tasks) {
  const items = tasks.map(layoutTask);
  const w = Math.max(...items.map((i) => i.w));
  const hgt = items.reduce((sum, i) => sum + i.h, 0) + BRANCH_GAP * (items.length - 1);
  return {
    w,
    h: hgt,
    draw(x, y) {
      let cy = y;
      return items.map((item) => {
        const g = item.draw(x, cy);
        cy += item.h + BRANCH_GAP;
        return g;
      });
    },
  };
}

/**
 * A Dag's tasks in columns by depth (a task stands one column right of its deepest dependency),
 * with an edge from each `dependsOn` task to its dependent. Unknown ids draw no edge, and a cycle
 * (refused when the flow loads) cannot loop here: a task met again on its own path counts as a root.
 */
function dag(entries) {
  const byId = new Map(entries.map((e) => [e.task.id, e]));
  const depsOf = (e) => (Array.isArray(e.dependsOn) ? e.dependsOn.filter((d) => typeof d === 'string' && byId.has(d)) : []);
  const depth = new Map();
  const depthOf = (id, path) => {
    if (depth.has(id)) return depth.get(id);
    if (path.has(id)) return 0;
    path.add(id);
    const deps = depsOf(byId.get(id));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depthOf(dep, path)));
    path.delete(id);
    depth.set(id, d);
    return d;
  };
  const columns = [];
  for (const e of entries) (columns[depthOf(e.task.id, new Set())] ??= []).push({ entry: e, item: layoutTask(e.task) });
  const laid = columns.filter(Boolean).map((col) => ({
    col,
    w: Math.max(...col.map((c) => c.item.w)),
    h: col.reduce((sum, c) => sum + c.item.h, 0) + BRANCH_GAP * (col.length - 1),
  }));
  const w = laid.reduce((sum, c) => sum + c.w, 0) + GAP * 1.5 * (laid.length - 1);
  const hgt = Math.max(NODE_H, ...laid.map((c) => c.h));
  return {
    w,
    h: hgt,
    draw(x, y) {
      const out = [];
      const anchors = new Map();
      let cx = x;
      for (const c of laid) {
        let cy = y + (hgt - c.h) / 2;
        for (const { entry, item } of c.col) {
          out.push(item.draw(cx, cy));
          anchors.set(entry.task.id, { left: cx, right: cx + item.w, mid: cy + item.h / 2 });
          cy += item.h + BRANCH_GAP;
        }
        cx += c.w + GAP * 1.5;
      }
      for (const e of entries)
        for (const dep of depsOf(e)) {
          const from = anchors.get(dep);
          const to = anchors.get(e.task.id);
          const bend = Math.max(12, (to.left - from.right) / 2);
          out.push(
            s(
              'g',
              { class: 'dag-edge' },
              s('title', {}, `${dep} → ${e.task.id}`),
              s('path', {
                d: `M${from.right},${from.mid} C${from.right + bend},${from.mid} ${to.left - bend},${to.mid} ${to.left - 2},${to.mid}`,
                fill: 'none',
                stroke: '#8a8fa0',
                'stroke-width': 1.5,
                'marker-end': 'url(#arrow)',
              }),
            ),
          );
        }
      return out;
    },
  };
}

const PARALLEL = /\.(Parallel|EachParallel|Dag)$/;
const DAG = /\.Dag$/;

function layoutTask(task) {
  const branches = branchesOf(task);
  if (branches.length === 0) return leaf(task);
  const side = PARALLEL.test(task.type);
  const lay = (b) => {
    if (b.name !== 'tasks' || !side) return sequence(b.tasks);
    if (DAG.test(task.type) && Array.isArray(task.tasks) && task.tasks.every((e) => isTask(e?.task))) return dag(task.tasks);
    return stack(b.tasks);
  };
  const laid = branches.map((b) => ({ name: b.name, seq: lay(b) }));
  const inner = Math.max(NODE_W, ...laid.map((b) => b.seq.w));
  const w = inner + PAD * 2;
  const hgt = HEADER + laid.reduce((sum, b) => sum + LABEL + b.seq.h, 0) + BRANCH_GAP * (laid.length - 1) + PAD;
  return {
    w,
    h: hgt,
    draw(x, y) {
      const out = [
        s('title', {}, `${task.id} (${task.type})`),
        s('rect', { x, y, width: w, height: hgt, rx: 8, fill: 'rgba(107,63,214,0.05)', stroke: '#b7a3ec', 'stroke-dasharray': '4 3' }),
        s(
          'text',
          { x: x + 10, y: y + 19, 'font-weight': 600, fill: '#1d1f2b' },
          clip(task.id, 28),
          s('tspan', { fill: '#5b6072', 'font-weight': 400 }, `  ${shortType(task.type)}`),
        ),
      ];
      let cy = y + HEADER;
      for (const b of laid) {
        out.push(s('text', { x: x + PAD, y: cy + 12, fill: '#6b3fd6', 'font-size': 11 }, b.name));
        cy += LABEL;
        out.push(b.seq.draw(x + PAD, cy));
        cy += b.seq.h + BRANCH_GAP;
      }
      return s('g', { class: 'cluster' }, out);
    },
  };
}

function edge(x1, y1, x2, y2) {
  return s('line', { x1, y1, x2: x2 - 2, y2, stroke: '#8a8fa0', 'stroke-width': 1.5, 'marker-end': 'url(#arrow)' });
}

function terminal(cx, cy, label) {
  return s(
    'g',
    {},
    s('circle', { cx, cy, r: 9, fill: label === 'start' ? '#6b3fd6' : '#fff', stroke: '#6b3fd6', 'stroke-width': 2 }),
    s('title', {}, label),
  );
}

/** The graph of a flow (its `tasks`, then the `errors`, `finally` and `afterExecution` lanes). */
export function topology(flow) {
  const lanes = [
    ['tasks', flow.tasks],
    ['errors', flow.errors],
    ['finally', flow.finally],
    ['afterExecution', flow.afterExecution],
  ]
    .filter(([, tasks]) => Array.isArray(tasks) && tasks.some(isTask))
    .map(([name, tasks]) => ({ name, seq: sequence(tasks.filter(isTask)) }));
  const margin = 16;
  const ends = 30 + GAP;
  const width = Math.max(...lanes.map((l) => l.seq.w), NODE_W) + margin * 2 + ends * 2;
  const height = lanes.reduce((sum, l) => sum + LABEL + l.seq.h + margin, margin);
  const drawn = [];
  let y = margin;
  for (const lane of lanes) {
    drawn.push(s('text', { x: margin, y: y + 12, fill: '#5b6072', 'font-size': 11, 'font-weight': 600 }, lane.name));
    y += LABEL;
    const mid = y + lane.seq.h / 2;
    const x0 = margin + ends;
    drawn.push(terminal(margin + 10, mid, 'start'), edge(margin + 19, mid, x0, mid));
    drawn.push(lane.seq.draw(x0, y));
    const xEnd = x0 + lane.seq.w;
    drawn.push(edge(xEnd, mid, xEnd + GAP, mid), terminal(xEnd + GAP + 10, mid, 'end'));
    y += lane.seq.h + margin;
  }
  const count = countTasks(flow);
  const svg = s(
    'svg',
    {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Topology of ${flow.id}: ${count} task${count === 1 ? '' : 's'}`,
    },
    s(
      'defs',
      {},
      s(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8a8fa0' }),
      ),
    ),
    drawn,
  );
  return h(
    'div',
    {},
    h('div', { class: 'graph' }, svg),
    h(
      'details',
      {},
      h('summary', {}, 'Tasks as a list'),
      outline(
        lanes.length === 0
          ? []
          : [
              ['tasks', flow.tasks],
              ['errors', flow.errors],
              ['finally', flow.finally],
              ['afterExecution', flow.afterExecution],
            ],
      ),
    ),
  );
}

function countTasks(flow) {
  let n = 0;
  const walk = (tasks) => {
    for (const t of tasks) {
      n++;
      for (const b of branchesOf(t)) walk(b.tasks);
    }
  };
  for (const key of ['tasks', 'errors', 'finally', 'afterExecution']) if (Array.isArray(flow[key])) walk(flow[key].filter(isTask));
  return n;
}

function outline(groups) {
  const list = (tasks) =>
    h(
      'ul',
      {},
      tasks.filter(isTask).map((t) =>
        h(
          'li',
          {},
          h('code', {}, t.id),
          ` ${shortType(t.type)}`,
          branchesOf(t).map((b) => h('ul', {}, h('li', {}, b.name, list(b.tasks)))),
        ),
      ),
    );
  return h(
    'ul',
    {},
    groups.filter(([, tasks]) => Array.isArray(tasks) && tasks.length > 0).map(([name, tasks]) => h('li', {}, name, list(tasks))),
  );
}
