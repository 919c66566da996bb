// TensorFlow's canonical error codes (the same numbers as gRPC status codes) and the HTTP status
// TF Serving's REST server gives each (tensorflow_serving/model_servers/http_server.cc).
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type CodeName = keyof typeof Code;

const httpStatus: Record<CodeName, number> = {
  OK: 200,
  CANCELLED: 499,
  UNKNOWN: 500,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DATA_LOSS: 500,
  UNAUTHENTICATED: 401,
};

/** An error with a TensorFlow status code; every failure a client can see is one of these. */
export class ServingError extends Error {
  constructor(
    readonly code: CodeName,
    message: string,
  ) {
    super(message);
  }
  get httpStatus(): number {
    return httpStatus[this.code];
  }
  get grpcCode(): number {
    return Code[this.code];
  }
}

/** Any thrown value as a ServingError; unexpected ones become INTERNAL. */
export function toServingError(error: unknown): ServingError {
  if (error instanceof ServingError) return error;
  return new ServingError("INTERNAL", error instanceof Error ? error.message : String(error));
}

export const invalidArgument = (message: string) => new ServingError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new ServingError("NOT_FOUND", message);
