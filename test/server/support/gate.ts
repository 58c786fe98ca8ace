/**
 * A local HTTP endpoint flows call from Request tasks: `/hit/{key}` counts calls per key (what
 * "ran exactly once" is checked against) and answers at once; `/hold/{key}` answers only when the
 * test releases that key (to catch an execution mid-run).
 */
import type { Server } from 'node:http';
import { closeServer, listen } from '../../support/http.js';

export interface Gate {
  readonly origin: string;
  hits(key: string): number;
  readonly counts: Map<string, number>;
  /** Keys whose request is being held. */
  held(): string[];
  release(key?: string): void;
  close(): Promise<void>;
}

export async function startGate(): Promise<Gate> {
  const counts = new Map<string, number>();
  const holding = new Map<string, (() => void)[]>();
  const started = await listen((req, res) => {
    const [, kind, key = ''] = (req.url ?? '').split('/');
    const name = decodeURIComponent(key.split('?')[0] ?? '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const answer = (): void => {
      if (!res.writableEnded) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, key: name }));
    };
    if (kind === 'hold') {
      const list = holding.get(name) ?? [];
      list.push(answer);
      holding.set(name, list);
      req.on('close', () =>
        holding.set(
          name,
          (holding.get(name) ?? []).filter((f) => f !== answer),
        ),
      );
    } else answer();
  });
  const server: Server = started.server;
  const gate: Gate = {
    origin: started.origin,
    counts,
    hits: (key) => counts.get(key) ?? 0,
    held: () => [...holding.entries()].filter(([, l]) => l.length > 0).map(([k]) => k),
    release(key) {
      for (const [k, list] of holding) {
        if (key !== undefined && k !== key) continue;
        for (const f of list.splice(0)) f();
      }
    },
    async close() {
      gate.release();
      await closeServer(server);
    },
  };
  return gate;
}
