/** What every API module is given: the services of one server, and how to register routes. */
import type { Router } from '../http/router.js';
import type { RouteHandler } from '../http/exchange.js';
import type { FlowRepository } from '../flows/flow-repository.js';
import type { ExecutionService } from '../executions/service.js';
import type { ExecutionEvents } from '../executions/events.js';
import type { ExecutionStore } from '../store/types.js';
import type { FlowEngine } from '../../runner/types.js';
import type { TriggerEngine } from '../triggers/trigger-engine.js';

export interface ApiContext {
  readonly tenant: string;
  readonly router: Router<RouteHandler>;
  readonly flows: FlowRepository;
  readonly executions: ExecutionService;
  readonly events: ExecutionEvents;
  readonly store: ExecutionStore;
  readonly engine: FlowEngine;
  readonly triggers: TriggerEngine;
  /** The server's own base URL (`http://127.0.0.1:8080`), for links in responses. */
  baseUrl(): string;
}

/** `/api/v1/{tenant}` routes answer for the server's tenant only. */
export const API = '/api/v1/{tenant}';
