/**
 * HTTP errors as Kestra's webserver answers them (Micronaut's `JsonError`): a status, a message
 * that starts with the reason phrase (`Not Found: …`, `Invalid entity: …`) and a `_links.self`.
 * Reference: `webserver/src/main/java/io/kestra/webserver/controllers/ErrorController.java`.
 */
export class HttpError extends Error {
  readonly code = 'HTTP_ERROR' as const;
  readonly status: number;
  /** Extra details Kestra puts under `_embedded.errors` (one per constraint violation). */
  readonly details: readonly string[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, options: { details?: readonly string[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }
}

/** 404 as Kestra words a missing execution, flow, key… */
export const notFound = (what = 'Not Found'): HttpError => new HttpError(404, what.startsWith('Not Found') ? what : `Not Found: ${what}`);
/** 422: a request Kestra parsed but refused (ConstraintViolationException, IllegalArgumentException). */
export const invalidEntity = (message: string, details: readonly string[] = []): HttpError =>
  new HttpError(422, `Invalid entity: ${message}`, { details });
export const illegalArgument = (message: string): HttpError => new HttpError(422, `Illegal argument: ${message}`);
/** 409: IllegalStateException in Kestra (a flow disabled, an execution not paused…). */
export const illegalState = (message: string): HttpError => new HttpError(409, `Illegal state: ${message}`);
export const badRequest = (message: string): HttpError => new HttpError(400, `Bad Request: ${message}`);

/** The JSON body of an error response. */
export function errorBody(error: HttpError, href: string): Record<string, unknown> {
  return {
    message: error.message,
    _links: { self: { href, templated: false } },
    ...(error.details.length === 0 ? {} : { _embedded: { errors: error.details.map((message) => ({ message })) } }),
  };
}
