/** Parameters every API module reads the same way. */
import { HttpError } from '../http/errors.js';
import type { ApiRequest } from '../http/exchange.js';
import type { ApiContext } from './context.js';

/** The server serves one tenant (the config's, `main` by default); others do not exist here. */
export function checkTenant(ctx: ApiContext, req: ApiRequest): void {
  if (req.param('tenant') !== ctx.tenant)
    throw new HttpError(404, `Not Found: tenant '${req.param('tenant')}' is not served here (this server serves '${ctx.tenant}')`);
}

/** Kestra's paging: `page` from 1, `size` ≥ 1 (default 10), capped so a request cannot ask for everything at once. */
export function pageParams(req: ApiRequest): { page: number; size: number } {
  return { page: req.queryInt('page', 1, 1), size: Math.min(req.queryInt('size', 10, 1), 10_000) };
}
