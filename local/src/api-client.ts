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

  /** Uploads one image the way the page does: a presigned PUT, then the confirm step. */
  async uploadImage(cid: string, fileName: string, bytes: Uint8Array<ArrayBuffer>): Promise<{ image: { id: string } }> {
    const contentType = fileName.toLowerCase().endsWith(".png") ? "image/png" : "image/jpeg";
    const upload = await this.call<{ uploadId: string; uploadUrl: string }>("POST", `/campaigns/${cid}/images`, {
      fileName,
      contentType,
    });
    const put = await fetch(upload.uploadUrl, { method: "PUT", body: bytes, headers: { "content-type": contentType } });
    if (!put.ok) throw new Error(`upload of ${fileName}: HTTP ${put.status}`);
    return this.call("POST", `/campaigns/${cid}/uploads/${upload.uploadId}:confirm`, { fileName });
  }
}
