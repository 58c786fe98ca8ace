/** Pieces of JDBC URLs every adapter needs: the `?a=b&c=d` properties, `host:port`, and secrets found in them. */
import type { TaskRunContext } from '../definition.js';

/** Property names whose values are secrets wherever they appear in a URL. */
const SECRET_PROPERTIES = /^(password|pass|pwd|sslpassword|sslKeyPassword|motherduck_token|token|access_token|secret)$/i;

/** `a=b&c=d` (JDBC also accepts `;`) → a map, values percent-decoded. */
export function jdbcProperties(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of query.split(/[&;]/)) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    out[key] = eq < 0 ? '' : decode(part.slice(eq + 1));
  }
  return out;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Marks the URL's secret properties (password=…, motherduck_token=…) as sensitive: masked in logs and errors. */
export function markUrlSecrets(ctx: TaskRunContext, props: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(props)) {
    if (value !== '' && SECRET_PROPERTIES.test(key)) ctx.sensitive(value);
  }
}

/** `host`, `host:port`, `[::1]:port` → [host, port]. */
export function splitHostPort(text: string, defaultPort: number): [string, number] {
  const at = text.lastIndexOf('@');
  const hostPort = at >= 0 ? text.slice(at + 1) : text;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (v6) return [v6[1]!, v6[2] === undefined ? defaultPort : Number(v6[2])];
  const colon = hostPort.lastIndexOf(':');
  if (colon < 0) return [hostPort, defaultPort];
  const port = Number(hostPort.slice(colon + 1));
  return [hostPort.slice(0, colon), Number.isInteger(port) && port > 0 ? port : defaultPort];
}

/** `user:password@` before a host, if any: the password is a secret. */
export function userInfo(ctx: TaskRunContext, hostPart: string): { user?: string; password?: string } {
  const at = hostPart.lastIndexOf('@');
  if (at < 0) return {};
  const info = hostPart.slice(0, at);
  const colon = info.indexOf(':');
  const user = decode(colon < 0 ? info : info.slice(0, colon));
  const password = colon < 0 ? undefined : decode(info.slice(colon + 1));
  if (password !== undefined && password !== '') ctx.sensitive(password);
  return { user, ...(password === undefined ? {} : { password }) };
}
