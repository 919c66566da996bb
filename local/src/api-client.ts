// A small typed HTTP client for boxloop's API, used by `boxloop start --images` and `boxloop simulate`:
// the CLI drives the same routes a person's browser does.
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** Like request, but a non-2xx status throws with the API's error message. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request<T & { error?: { message?: string; field?: string } }>(method, path, body);
    if (r.status >= 300) {
      const error = r.body?.error;
      throw new Error(
        `${method} ${path}: HTTP ${r.status}${error ? `: ${error.message}${error.field ? ` (${error.field})` : ""}` : ""}`,
      );
    }
    return r.body;
  }
}
