// Generated bad requests (fast-check): each gets a 4xx JSON error naming the field, never a 5xx,
// and nothing in the store changes.
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { harness } from "./testing/harness.ts";
import { png } from "./testing/png.ts";

const h = harness();
after(() => h.close());
let token = "";
let iid = "";
let expiredIid = "";

function snapshot(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === ".journal") continue;
      if (entry.isDirectory()) walk(path);
      else {
        const s = statSync(path, { bigint: true });
        out.set(path, `${s.size}-${s.mtimeNs}-${s.ino}`);
      }
    }
  };
  walk(h.dir);
  return out;
}

before(async () => {
  const ok = async (r: Promise<Response>, status: number) => {
    const res = await r;
    assert.equal(res.status, status, await res.clone().text());
    return res.status === 204 ? undefined : res.json();
  };
  await ok(
    h.call("POST", "/campaigns", {
      id: "fz",
      name: "Fuzz",
      labels: ["cat", "dog"],
      members: [{ id: "ann", role: "annotator" }],
    }),
    201,
  );
  await ok(h.call("POST", "/campaigns", { id: "secret", name: "Secret", labels: ["cat"] }), 201);
  token = (await ok(h.call("POST", "/tokens", { subject: "ann" }), 201)).token;
  for (const [seed, name] of [
    [1, "a.png"],
    [2, "b.png"],
  ] as const) {
    const start = await ok(h.call("POST", "/campaigns/fz/images", { fileName: name, contentType: "image/png" }), 201);
    await h.app.request(start.uploadUrl, { method: "PUT", body: new Blob([png(50, 40, seed)]) });
    await ok(h.call("POST", `/campaigns/fz/uploads/${start.uploadId}:confirm`, { fileName: name }), 200);
  }
  const first = await ok(h.call("POST", "/campaigns/fz/tasks:next", { annotator: "ann" }, { token }), 200);
  const second = await ok(h.call("POST", "/campaigns/fz/tasks:next", { annotator: "ann" }, { token }), 200);
  expiredIid = first.image.id;
  iid = second.image.id;
  assert.notEqual(iid, expiredIid);
  h.clock.now += 700_000; // both leases are now expired
});

type Bad = {
  method: string;
  path: string;
  body?: string;
  token?: string;
  headers?: Record<string, string>;
  field?: string | RegExp;
  status?: number;
  code?: string;
};

const goodBox = { label: "cat", x: 1, y: 2, width: 10, height: 10 };
const goodAnswer = { answer: "accept", boxes: [goodBox], modelVersion: null, durationMs: 10 };
/** Built once the fixtures exist (ids and tokens are known). */
function badRequests(): fc.Arbitrary<Bad> {
  const put = (body: unknown, field: string | RegExp, extra: Partial<Bad> = {}): Bad => ({
    method: "PUT",
    path: `/campaigns/fz/images/${iid}/annotations/ann`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    token,
    field,
    ...extra,
  });

  const wrongType = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  );

  const badAnswers: fc.Arbitrary<Bad> = fc.oneof(
    // a field of the answer with a wrong type
    fc
      .tuple(fc.constantFrom("answer", "boxes", "durationMs"), wrongType)
      .filter(([k, v]) => !(k === "boxes" && Array.isArray(v) && v.length === 0))
      .map(([key, value]) => put({ ...goodAnswer, [key]: value }, new RegExp(`^${key}`))),
    // a box field with a wrong type
    fc
      .tuple(fc.constantFrom("label", "x", "y", "width", "height"), wrongType)
      .filter(([k, v]) => !(k === "label" && typeof v === "string" && ["cat", "dog"].includes(v)))
      .map(([key, value]) => put({ ...goodAnswer, boxes: [{ ...goodBox, [key]: value }] }, /^boxes\.0/)),
    // negative or zero sizes
    fc
      .tuple(fc.constantFrom("width", "height"), fc.double({ max: 0, noNaN: true }))
      .map(([key, value]) => put({ ...goodAnswer, boxes: [{ ...goodBox, [key]: value }] }, `boxes.0.${key}`)),
    // NaN and infinities cannot be JSON: as bare tokens the body is malformed, as strings the type is wrong
    fc
      .constantFrom("NaN", "Infinity", "-Infinity")
      .map((t) => put(`{"answer":"accept","boxes":[],"modelVersion":null,"durationMs":${t}}`, "body", { status: 400 })),
    fc
      .constantFrom("NaN", "1e999")
      .map((t) =>
        put(
          `{"answer":"accept","boxes":[{"label":"cat","x":${t},"y":1,"width":2,"height":2}],"modelVersion":null,"durationMs":1}`,
          /^(body|boxes\.0\.x)$/,
        ),
      ),
    // boxes wholly outside the 50×40 image
    fc
      .tuple(fc.integer({ min: 50, max: 10_000 }), fc.integer({ min: 0, max: 30 }))
      .map(([x, y]) => put({ ...goodAnswer, boxes: [goodBox, { ...goodBox, x, y }] }, "boxes.1")),
    fc
      .integer({ min: 11, max: 1000 })
      .map((d) => put({ ...goodAnswer, boxes: [{ ...goodBox, x: -d, width: 10 }] }, "boxes.0")),
    // unknown labels
    fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((s) => s !== "cat" && s !== "dog")
      .map((label) => put({ ...goodAnswer, boxes: [goodBox, { ...goodBox, label }] }, "boxes.1.label")),
    // unknown or missing fields
    fc
      .string({ minLength: 1, maxLength: 10 })
      .filter((k) => !(k in goodAnswer) && k !== "__proto__")
      .map((k) => put({ ...goodAnswer, [k]: 1 }, k)),
    fc.constantFrom("answer", "boxes", "modelVersion", "durationMs").map((k) => {
      const { [k as keyof typeof goodAnswer]: _, ...rest } = goodAnswer;
      return put(rest, k);
    }),
    // not JSON at all
    fc
      .string({ maxLength: 30 })
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      })
      .chain((s) =>
        fc.constantFrom(put(s, "body", { status: 400, code: "bad_json" }), {
          method: "POST",
          path: "/campaigns",
          body: s,
          field: "body",
          status: 400,
          code: "bad_json",
        }),
      ),
  );

  const traversal = fc.constantFrom("..%2F..%2Fetc", "a%2F..%2Fb", ".hidden", "a..b", "%00", "a%2Fb", "x".repeat(200));

  const badPaths: fc.Arbitrary<Bad> = fc.oneof(
    // a bare `..` is resolved by the URL itself: the request lands on no route
    fc
      .constantFrom(
        "/campaigns/fz/images/../annotations/ann",
        "/campaigns/fz/images/%2e%2e/annotations/ann",
        "/campaigns/../../etc/passwd",
        "/campaigns/fz/images/x/annotations/../../../campaign.json",
        "/campaigns/fz/images/%2e%2e/annotations/ann",
      )
      .map((path) => put(goodAnswer, "path", { path, status: 404 })),
    traversal.map((id) => ({ method: "GET", path: `/campaigns/${id}`, field: "cid", status: 400 })),
    traversal.map((id) => put(goodAnswer, "iid", { path: `/campaigns/fz/images/${id}/annotations/ann`, status: 400 })),
    traversal.map((id) =>
      put(goodAnswer, "annotator", { path: `/campaigns/fz/images/${iid}/annotations/${id}`, status: 400 }),
    ),
    traversal.map((id) => ({
      method: "POST",
      path: `/campaigns/${id}/tasks:next`,
      body: JSON.stringify({ annotator: "ann" }),
      field: "cid",
      status: 400,
    })),
    traversal.map((id) => ({
      method: "POST",
      path: "/campaigns/fz/tasks:next",
      body: JSON.stringify({ annotator: decodeURIComponent(id) }),
      field: "annotator",
      status: 422,
    })),
    // unknown campaign, unknown image
    fc
      .stringMatching(/^[a-z][a-z0-9-]{0,20}$/)
      .filter((c) => c !== "fz" && c !== "secret")
      .map((cid) => ({ method: "GET", path: `/campaigns/${cid}`, field: "cid", status: 404 })),
    fc
      .stringMatching(/^[a-f0-9]{32}$/)
      .map((id) => put(goodAnswer, "iid", { path: `/campaigns/fz/images/${id}/annotations/ann`, status: 404 })),
  );

  const badAuth: fc.Arbitrary<Bad> = fc.oneof(
    fc
      .string({ minLength: 0, maxLength: 40 })
      .map((t) => ({ method: "GET", path: "/campaigns/fz", token: t, field: "authorization", status: 401 })),
    fc
      .constantFrom(
        "GET /campaigns/secret",
        "POST /campaigns/secret/tasks:next",
        "GET /campaigns/secret/export?format=coco",
      )
      .map((line) => {
        const [method, path] = line.split(" ") as [string, string];
        return {
          method,
          path,
          token,
          ...(method === "POST" ? { body: JSON.stringify({ annotator: "ann" }) } : {}),
          field: "authorization",
          status: 403,
        };
      }),
    fc
      .constantFrom("POST /campaigns/fz/training-runs", "POST /campaigns/fz/models/1:promote", "POST /campaigns")
      .map((line) => {
        const [method, path] = line.split(" ") as [string, string];
        return { method, path, token, body: "{}", field: "authorization", status: 403 };
      }),
  );

  const other: fc.Arbitrary<Bad> = fc.oneof(
    // a body over the 1 MiB limit
    fc
      .integer({ min: 1024 * 1024 + 1, max: 2 * 1024 * 1024 })
      .map((n) => put(`{"answer":"${"a".repeat(n)}"}`, "body", { status: 413 })),
    // an expired lease
    fc.constant(put(goodAnswer, "lease", { path: `/campaigns/fz/images/${expiredIid}/annotations/ann`, status: 409 })),
    // bad campaign bodies
    fc
      .tuple(
        fc.constantFrom(
          "name",
          "labels",
          "threshold",
          "heldOutFraction",
          "strategy",
          "retrainEvery",
          "schedule",
          "members",
        ),
        wrongType,
      )
      .filter(
        ([k, v]) =>
          !(k === "schedule" && v === null) &&
          !(k === "name" && typeof v === "string" && v.length > 0) &&
          !(k === "members" && Array.isArray(v) && v.length === 0),
      )
      .map(([key, value]) => ({
        method: "POST",
        path: "/campaigns",
        body: JSON.stringify({ id: "new-one", name: "N", labels: ["a"], [key]: value }),
        field: new RegExp(`^${key}`),
      })),
    fc.constantFrom(-0.1, 1.5, 2).map((t) => ({
      method: "POST",
      path: "/campaigns",
      body: JSON.stringify({ name: "N", labels: ["a"], threshold: t }),
      field: "threshold",
    })),
    // a body that is not declared JSON: on a schema-validated route and on the two checked in their handlers
    fc
      .tuple(
        fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"),
        fc.constantFrom(
          { method: "POST", path: "/campaigns", body: JSON.stringify({ name: "N", labels: ["a"] }) },
          { method: "POST", path: "/campaigns/fz/tasks:next", body: JSON.stringify({ annotator: "ann" }) },
          { method: "PUT", path: "/campaigns/fz/images/IID/annotations/ann", body: JSON.stringify(goodAnswer) },
        ),
      )
      .map(([type, request]) => ({
        ...request,
        path: request.path.replace("IID", iid),
        headers: { "content-type": type },
        field: "content-type",
        status: 415,
        code: "unsupported_media_type",
      })),
    fc.constant({
      method: "POST",
      path: "/campaigns",
      body: JSON.stringify({ name: "N", labels: ["a", "a"] }),
      field: "labels",
    }),
    // unknown export format
    fc
      .string({ maxLength: 8 })
      .filter((f) => !["coco", "voc", "yolo", "csv", "tfrecord"].includes(f))
      .map((f) => ({ method: "GET", path: `/campaigns/fz/export?format=${encodeURIComponent(f)}`, field: "format" })),
  );

  return fc.oneof(badAnswers, badAnswers, badPaths, badAuth, other);
}

test("generated bad requests: 4xx JSON naming the field, never 5xx, nothing written", async () => {
  await h.deps.store.flushed();
  const before = snapshot();
  let count = 0;
  await fc.assert(
    fc.asyncProperty(badRequests(), async (bad) => {
      count++;
      const res = await h.app.request(`http://localhost/api/v1${bad.path}`, {
        method: bad.method,
        headers: {
          ...(bad.token === "" ? {} : { authorization: `Bearer ${bad.token ?? "admin-token-for-tests-0123456789"}` }),
          ...(bad.body === undefined ? {} : { "content-type": "application/json" }),
          ...bad.headers,
        },
        ...(bad.body === undefined ? {} : { body: bad.body }),
      });
      const text = await res.text();
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${bad.method} ${bad.path} ${bad.body?.slice(0, 200)} → ${res.status} ${text}`,
      );
      if (bad.status !== undefined)
        assert.equal(res.status, bad.status, `${bad.method} ${bad.path} ${bad.body?.slice(0, 200)} → ${text}`);
      if (bad.code !== undefined) assert.equal(JSON.parse(text).error.code, bad.code, text);
      const body = JSON.parse(text);
      assert.equal(typeof body.error.code, "string");
      assert.equal(typeof body.error.message, "string");
      assert.equal(typeof body.error.field, "string", text);
      if (typeof bad.field === "string")
        assert.equal(body.error.field, bad.field, `${bad.body?.slice(0, 200)} → ${text}`);
      else if (bad.field) assert.match(body.error.field, bad.field, `${bad.body?.slice(0, 200)} → ${text}`);
    }),
    { numRuns: 300 },
  );
  assert.ok(count >= 100);
  await h.deps.store.flushed();
  assert.deepEqual(snapshot(), before, "no file was written");
});
