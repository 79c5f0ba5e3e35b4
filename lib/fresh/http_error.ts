/**
 * `HttpError`: throw it from a middleware or handler to answer with a given
 * HTTP status. The app renders it through `routes/_error.tsx` (or
 * `routes/_404.tsx` for a 404) when those exist, else as plain text.
 *
 * ```ts
 * import { HttpError } from "fresh";
 *
 * function requireUser(user: string | null): string {
 *   if (user === null) throw new HttpError(403, "Sign in first");
 *   return user;
 * }
 * ```
 *
 * @module
 */

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The standard reason phrase for an HTTP status, or `HTTP <status>`. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? `HTTP ${status}`;
}

/** An error that carries the HTTP status the response should have. */
export class HttpError extends Error {
  /** The HTTP status code, 400–599. */
  readonly status: number;

  /**
   * @param status HTTP status code of the response, 400–599.
   * @param message Text for the error; defaults to the status' reason phrase.
   * @param options Standard error options, e.g. `{ cause }`.
   */
  constructor(status: number, message: string = statusText(status), options?: ErrorOptions) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be an integer from 400 to 599, got ${status}`);
    }
    super(message, options);
    this.name = "HttpError";
    this.status = status;
  }
}
