// The server's API, same origin: the browser sends the basic-auth credentials it was asked for
// with every call, and `Origin` with every state-changing one (the server checks both).

export class ApiError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

let context;
/** The server's tenant and settings (`/api/v1/configs`). */
export async function serverContext() {
  context ??= getRaw('/api/v1/configs').catch((e) => {
    context = undefined; // asked again next time
    throw e;
  });
  return context;
}

async function readError(res) {
  let message = `${res.status} ${res.statusText}`;
  let details = [];
  try {
    const body = await res.json();
    if (typeof body.message === 'string') message = body.message;
    details = (body._embedded?.errors ?? []).map((e) => e.message).filter((m) => typeof m === 'string');
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, message, details);
}

async function getRaw(path, init = {}) {
  const res = await fetch(path, { credentials: 'same-origin', ...init, headers: { accept: 'application/json', ...init.headers } });
  if (!res.ok) throw await readError(res);
  if (res.status === 204 || res.status === 202) return undefined;
  const type = res.headers.get('content-type') ?? '';
  return type.includes('json') ? res.json() : res.text();
}

/** `/api/v1/{tenant}` + path. */
export async function api(path, init = {}) {
  const { tenant } = await serverContext();
  return getRaw(`/api/v1/${encodeURIComponent(tenant)}${path}`, init);
}

export const enc = encodeURIComponent;

/**
 * Reads a server-sent event stream that ends (an execution's or its logs' follow): calls `onEvent`
 * with `{id, data}` (data parsed as JSON) until the server closes it or `signal` aborts. Unlike
 * EventSource it does not reconnect, so a finished stream is not replayed.
 */
export async function follow(path, onEvent, signal) {
  const { tenant } = await serverContext();
  const res = await fetch(`/api/v1/${encodeURIComponent(tenant)}${path}`, {
    credentials: 'same-origin',
    headers: { accept: 'text/event-stream' },
    signal,
  });
  if (!res.ok || res.body === null) throw await readError(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = { data: [] };
        for (const line of block.split('\n')) {
          if (line === '' || line.startsWith(':')) continue;
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const text = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'data') event.data.push(text);
          else if (field === 'id') event.id = text;
        }
        if (event.data.length === 0) continue;
        let data = event.data.join('\n');
        try {
          data = JSON.parse(data);
        } catch {
          // keep the text
        }
        onEvent({ id: event.id, data });
      }
    }
  } catch (e) {
    if (signal?.aborted) return;
    throw e;
  } finally {
    reader.releaseLock?.();
  }
}
