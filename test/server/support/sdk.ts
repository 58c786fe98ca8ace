/**
 * Kestra's official JavaScript SDK (`@kestra-io/kestra-sdk` 0.24.1) as the client. The published
 * package misses model files its modules require (`SLALabels` among them), so the API modules are
 * loaded directly and a missing model resolves to a stand-in that passes the data through.
 * Its calls take callbacks; `call` turns one into a promise.
 */
import Module, { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const standIn = fileURLToPath(new URL('./sdk-missing-model.cjs', import.meta.url));

type Resolve = (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
const loader = Module as unknown as { _resolveFilename: Resolve };
const original = loader._resolveFilename;
loader._resolveFilename = function (request, parent, ...rest) {
  try {
    return original.call(this, request, parent, ...rest);
  } catch (e) {
    if (parent?.filename?.includes('kestra-sdk') === true && /^\.\.?\/(model\/)?[A-Z]\w*$/.test(request)) return standIn;
    throw e;
  }
};

interface SdkModule<T> {
  readonly default: T;
}
/* eslint-disable @typescript-eslint/no-explicit-any */
export type SdkApi = Record<string, (...args: any[]) => unknown>;
const ApiClient = (require('@kestra-io/kestra-sdk/dist/ApiClient.js') as SdkModule<new (basePath?: string) => any>).default;
const load = (name: string): new (client: unknown) => SdkApi =>
  (require(`@kestra-io/kestra-sdk/dist/api/${name}.js`) as SdkModule<new (client: unknown) => SdkApi>).default;

export interface Sdk {
  readonly flows: SdkApi;
  readonly executions: SdkApi;
  readonly logs: SdkApi;
  readonly kv: SdkApi;
}

export function sdk(baseUrl: string, auth?: { username: string; password: string }): Sdk {
  const client = new ApiClient(baseUrl);
  client.basePath = baseUrl;
  if (auth !== undefined) {
    client.authentications.basicAuth.username = auth.username;
    client.authentications.basicAuth.password = auth.password;
  }
  return {
    flows: new (load('FlowsApi'))(client),
    executions: new (load('ExecutionsApi'))(client),
    logs: new (load('LogsApi'))(client),
    kv: new (load('KVApi'))(client),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface SdkResult<T> {
  readonly data: T;
  readonly status: number;
}

export class SdkError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown, message: string) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** Calls an SDK method (its callback is added last) and resolves with the data and the HTTP status. */
export function call<T = unknown>(api: SdkApi, method: string, ...args: unknown[]): Promise<SdkResult<T>> {
  const fn = api[method];
  if (fn === undefined) throw new TypeError(`The SDK has no ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(
      api,
      ...args,
      (error: { status?: number; response?: { body?: unknown; text?: string } } | null, data: T, response: { status: number }) => {
        if (error !== null && error !== undefined) {
          const status = error.status ?? response?.status ?? 0;
          reject(
            new SdkError(
              status,
              error.response?.body ?? error.response?.text,
              `${method}: HTTP ${status}: ${JSON.stringify(error.response?.body ?? error.response?.text)}`,
            ),
          );
        } else resolve({ data, status: response.status });
      },
    );
  });
}
