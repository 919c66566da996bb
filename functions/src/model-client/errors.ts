// A failed call to a model server, with TensorFlow's status code name. UNAVAILABLE (server down,
// connection refused, HTTP 503) is the one worth retrying; the breaker counts it and timeouts.
export class ModelServerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  get retryable(): boolean {
    return this.code === "UNAVAILABLE";
  }
  /** Failures that say the server is unhealthy (as opposed to a bad request). */
  get serverFault(): boolean {
    return this.code === "UNAVAILABLE" || this.code === "DEADLINE_EXCEEDED" || this.code === "INTERNAL";
  }
}

/** The circuit is open: the server failed repeatedly and is not being called for a while. */
export class CircuitOpenError extends ModelServerError {
  constructor(retryInMs: number) {
    super("UNAVAILABLE", `model server circuit open (too many failures); next try in ${Math.ceil(retryInMs)} ms`);
  }
  override get retryable(): boolean {
    return false;
  }
}

/** HTTP statuses TF Serving's REST API answers, back to status code names. */
export function codeFromHttp(status: number): string {
  const codes: Record<number, string> = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "RESOURCE_EXHAUSTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
  };
  return codes[status] ?? (status >= 500 ? "INTERNAL" : "UNKNOWN");
}
