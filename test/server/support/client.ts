/** Plain-HTTP calls the SDK cannot make (multipart inputs, event streams), with `fetch`. */

export interface SseEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

/** Reads a `text/event-stream` until it ends (or `stopWhen` says so), returning its events. */
export async function readEvents(
  url: string,
  options: { headers?: Record<string, string>; stopWhen?: (e: SseEvent) => boolean; onEvent?: (e: SseEvent) => void } = {},
): Promise<SseEvent[]> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...options.headers }, signal: controller.signal });
  if (res.status !== 200 || res.body === null) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: { id?: string; event?: string; data: string[] } = { data: [] };
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') event.data.push(value);
        any = true;
      }
      if (!any) continue;
      const e: SseEvent = {
        ...(event.id === undefined ? {} : { id: event.id }),
        ...(event.event === undefined ? {} : { event: event.event }),
        data: event.data.join('\n'),
      };
      events.push(e);
      options.onEvent?.(e);
      if (options.stopWhen?.(e) === true) {
        controller.abort();
        return events;
      }
    }
  }
  return events;
}

/** POST multipart form data (Kestra's execution inputs). */
export async function postForm<T = unknown>(
  url: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) for (const item of Array.isArray(v) ? v : [v]) form.append(k, item);
  const res = await fetch(url, { method: 'POST', body: form, headers });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export async function getJson<T = unknown>(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  const body: unknown = text === '' ? undefined : /json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
  return { status: res.status, body: body as T };
}
