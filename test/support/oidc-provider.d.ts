// oidc-provider ships no types; this declares the small surface the test server uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContext {
    method: string;
    path: string;
    status: number;
    body: unknown;
    req: IncomingMessage;
    res: ServerResponse;
    request: { body?: unknown };
    get(header: string): string;
    set(header: string, value: string): void;
    oidc: {
      client: { clientId: string; scope?: string };
      params: Record<string, string | undefined>;
      provider: Provider;
    };
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void;
    registerGrantType(name: string, handler: (ctx: KoaContext) => Promise<void>, params?: string[] | string): void;
    ClientCredentials: new (init: { client: unknown; scope?: string }) => { save(): Promise<string>; expiration: number };
    on(event: string, listener: (...args: unknown[]) => void): void;
  }

  export const errors: {
    InvalidGrant: new (detail?: string) => Error;
    InvalidScope: new (description: string, scope: string) => Error;
    InvalidTarget: new (description?: string) => Error;
  };

  export default Provider;
}
