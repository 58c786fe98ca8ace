/**
 * Server-sent events: what Kestra's `follow` endpoints stream (`id: progress` / `id: end` with
 * the JSON of the execution or log line). Reusable by any route (the web UI's live views): open
 * a stream, `send` events, learn when the client went away. A comment line every 15 s keeps
 * proxies from closing an idle stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyKeepingOrder } from '../../engine/map-order.js';

export interface ServerSentEvent {
  /** Kestra uses the event id to say what the event is (`progress`, `end`). */
  readonly id?: string;
  readonly event?: string;
  /** Serialised as JSON unless already a string. */
  readonly data: unknown;
}

export class EventStream {
  private readonly res: ServerResponse;
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(req: IncomingMessage, res: ServerResponse, options: { heartbeatMs?: number } = {}) {
    this.res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.heartbeat = setInterval(() => this.comment('keep-alive'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    const onGone = (): void => this.finish();
    req.on('close', onGone);
    res.on('close', onGone);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Called once when the stream ends, from either side. */
  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  send(event: ServerSentEvent): void {
    if (this.ended) return;
    const data = typeof event.data === 'string' ? event.data : (stringifyKeepingOrder(event.data) ?? 'null');
    let out = '';
    if (event.id !== undefined) out += `id: ${event.id.replace(/[\r\n]/g, '')}\n`;
    if (event.event !== undefined) out += `event: ${event.event.replace(/[\r\n]/g, '')}\n`;
    for (const line of data.split(/\r?\n/)) out += `data: ${line}\n`;
    this.res.write(`${out}\n`);
  }

  comment(text: string): void {
    if (!this.ended) this.res.write(`: ${text.replace(/[\r\n]/g, ' ')}\n\n`);
  }

  close(): void {
    if (this.ended) return;
    this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    for (const listener of this.closeListeners.splice(0)) {
      try {
        listener();
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }
}
