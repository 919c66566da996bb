// The API's one error shape: `{"error": {"code", "message", "field"?}}`.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 503;

export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): { error: { code: string; message: string; field?: string } } {
    return {
      error: { code: this.code, message: this.message, ...(this.field === undefined ? {} : { field: this.field }) },
    };
  }

  get httpStatus(): ContentfulStatusCode {
    return this.status;
  }
}

export const notFound = (what: string, field: string) => new ApiError(404, "not_found", `${what} not found`, field);
export const forbidden = (message: string, field = "authorization") => new ApiError(403, "forbidden", message, field);
export const invalid = (field: string, message: string) => new ApiError(422, "invalid", message, field);
export const notJson = () => new ApiError(400, "bad_json", "the body is not JSON", "body");
export const notJsonType = () =>
  new ApiError(415, "unsupported_media_type", "the body must be application/json", "content-type");

/** A zod issue path as a field name: `boxes.0.x`. */
export function fieldOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}
