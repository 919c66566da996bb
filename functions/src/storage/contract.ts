// The contract every Store adapter passes. Adapter tests call `storeContract` with a factory;
// servers that ignore conditional writes (s3rver) run it with `conditional: false`.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { isPreconditionFailed, listAll, StorageError, type Store } from "./port.ts";

export interface ContractOptions {
  conditional: boolean;
  /** Performs a presigned request; when absent the presign cases are skipped. */
  fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  /** The server checks presigned signatures (s3rver and moto accept any). */
  checksSignatures?: boolean;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

export function storeContract(name: string, store: () => Store, options: ContractOptions): void {
  const run = randomBytes(4).toString("hex");
  let n = 0;
  const fresh = () => `contract-${run}/${++n}`;

  test(`${name}: put then get returns the same bytes and ETag`, async () => {
    const s = store();
    const key = `${fresh()}/a.bin`;
    const body = new Uint8Array(randomBytes(70_000));
    const { etag } = await s.put(key, body, { contentType: "application/octet-stream" });
    const got = await s.get(key);
    assert.ok(got);
    assert.deepEqual(got.body, body);
    assert.equal(got.etag, etag);
    assert.equal(got.size, body.byteLength);
    const head = await s.head(key);
    assert.equal(head?.etag, etag);
    assert.equal(head?.size, body.byteLength);
  });

  test(`${name}: missing keys read as undefined, deleting them is fine`, async () => {
    const s = store();
    const key = `${fresh()}/missing.json`;
    assert.equal(await s.get(key), undefined);
    assert.equal(await s.head(key), undefined);
    assert.equal(await s.getStream(key), undefined);
    await s.delete(key);
  });

  test(`${name}: overwrite changes the ETag; delete removes`, async () => {
    const s = store();
    const key = `${fresh()}/x.json`;
    const a = await s.put(key, "one");
    const b = await s.put(key, "two");
    assert.notEqual(a.etag, b.etag);
    assert.equal(text((await s.get(key))!.body), "two");
    await s.delete(key);
    assert.equal(await s.get(key), undefined);
  });

  test(`${name}: list by prefix, in key order, with pagination`, async () => {
    const s = store();
    const base = fresh();
    const keys = ["b/2.json", "a/1.json", "a/10.json", "ab.json", "c/d/e.json"].map((k) => `${base}/${k}`);
    for (const key of keys) await s.put(key, key);
    await s.put(`${fresh()}/other.json`, "x");
    const all = [];
    for await (const item of listAll(s, `${base}/`)) all.push(item.key);
    assert.deepEqual(all, [...keys].sort());
    const page1 = await s.list(`${base}/`, { limit: 2 });
    assert.deepEqual(
      page1.items.map((i) => i.key),
      [...keys].sort().slice(0, 2),
    );
    assert.ok(page1.cursor);
    const page2 = await s.list(`${base}/`, { limit: 2, cursor: page1.cursor });
    assert.deepEqual(
      page2.items.map((i) => i.key),
      [...keys].sort().slice(2, 4),
    );
    const partial = await s.list(`${base}/a`);
    assert.deepEqual(
      partial.items.map((i) => i.key),
      [`${base}/a/1.json`, `${base}/a/10.json`, `${base}/ab.json`],
    );
    assert.equal(partial.cursor, undefined);
    const sized = partial.items[0]!;
    assert.equal(sized.size, `${base}/a/1.json`.length);
    assert.equal(sized.etag, (await s.head(sized.key))!.etag);
    assert.deepEqual((await s.list(`${base}/zzz`)).items, []);
  });

  test(`${name}: streaming get yields the whole object`, async () => {
    const s = store();
    const key = `${fresh()}/big.bin`;
    const body = new Uint8Array(randomBytes(300_000));
    await s.put(key, body);
    const got = await s.getStream(key);
    assert.ok(got);
    const chunks: Buffer[] = [];
    for await (const chunk of got.stream) chunks.push(Buffer.from(chunk));
    assert.deepEqual(new Uint8Array(Buffer.concat(chunks)), body);
    assert.equal(got.info.size, body.byteLength);
  });

  test(`${name}: keys with .. or empty segments are refused`, async () => {
    const s = store();
    for (const key of ["../x", "a/../../x", "a//b", "/abs", "a/.hidden", ""]) {
      await assert.rejects(s.put(key, "x"), (e) => e instanceof StorageError && e.code === "InvalidKey", key);
      await assert.rejects(s.get(key), StorageError);
    }
  });

  if (options.fetch !== undefined) {
    const fetcher = options.fetch;
    test(`${name}: presigned PUT then presigned GET`, async () => {
      const s = store();
      const key = `${fresh()}/upload.jpg`;
      const url = await s.presignPut(key, { expiresIn: 60, contentType: "image/jpeg" });
      const body = new Uint8Array(randomBytes(5000));
      const put = await fetcher(url, { method: "PUT", body, headers: { "content-type": "image/jpeg" } });
      assert.equal(put.status, 200, await put.text());
      assert.deepEqual((await s.get(key))!.body, body);
      const folder = key.slice(0, -"upload.jpg".length);
      for (const scope of [undefined, folder]) {
        const get = await fetcher(await s.presignGet(key, { expiresIn: 60, ...(scope ? { scope } : {}) }));
        assert.equal(get.status, 200, `scope ${scope}`);
        assert.deepEqual(new Uint8Array(await get.arrayBuffer()), body);
      }
      await assert.rejects(s.presignGet(key, { expiresIn: 60, scope: "elsewhere/" }), StorageError);
      if (options.checksSignatures !== true) return;
      const tampered = url.replace(/upload\.jpg/, "other.jpg");
      const bad = await fetcher(tampered, { method: "PUT", body, headers: { "content-type": "image/jpeg" } });
      assert.equal(bad.status, 403);
      assert.equal(await s.head(`${folder}other.jpg`), undefined);
    });

    if (options.checksSignatures === true)
      test(`${name}: a presigned GET with a scope reads every key under it, and no other`, async () => {
        const s = store();
        const folder = `${fresh()}/images/`;
        await s.put(`${folder}a.png`, "a");
        await s.put(`${folder}b.png`, "b");
        await s.put(`${folder.slice(0, -"images/".length)}secret.json`, "s");
        const url = await s.presignGet(`${folder}a.png`, { expiresIn: 60, scope: folder });
        assert.equal(
          await s.presignGet(`${folder}b.png`, { expiresIn: 60, scope: folder }),
          url.replace("a.png", "b.png"),
        );
        const read = async (u: string) => {
          const res = await fetcher(u);
          return `${res.status} ${await res.text()}`.replace(/^(4\d\d) .*/, "$1");
        };
        assert.equal(await read(url), "200 a");
        assert.equal(await read(url.replace("a.png?", "b.png?")), "200 b");
        assert.equal(await read(url.replace("images/a.png?", "secret.json?")), "403", "outside the scope");
        const wider = encodeURIComponent(folder.slice(0, -"images/".length));
        assert.equal(
          await read(url.replace(encodeURIComponent(folder), wider).replace("images/a.png?", "secret.json?")),
          "403",
          "a scope it was not signed for",
        );
        assert.equal(await read(url.replace(/scope=[^&]*&/, "")), "403", "the scope's signature for the key alone");
      });
  }

  if (!options.conditional) return;

  test(`${name}: If-None-Match: * creates once, then refuses without writing`, async () => {
    const s = store();
    const key = `${fresh()}/lease.json`;
    const first = await s.put(key, "first", { ifNoneMatch: "*" });
    await assert.rejects(s.put(key, "second", { ifNoneMatch: "*" }), isPreconditionFailed);
    const got = await s.get(key);
    assert.equal(text(got!.body), "first");
    assert.equal(got!.etag, first.etag);
  });

  test(`${name}: concurrent create-only writes: exactly one wins`, async () => {
    const s = store();
    const key = `${fresh()}/race.json`;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => s.put(key, `writer ${i}`, { ifNoneMatch: "*" })),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    assert.equal(won.length, 1);
    for (const r of results) if (r.status === "rejected") assert.ok(isPreconditionFailed(r.reason), String(r.reason));
    assert.equal(text((await s.get(key))!.body), `writer ${won[0]}`);
  });

  test(`${name}: If-Match swaps only on the current ETag`, async () => {
    const s = store();
    const key = `${fresh()}/cas.json`;
    const a = await s.put(key, "v1");
    const b = await s.put(key, "v2", { ifMatch: a.etag });
    await assert.rejects(s.put(key, "v3", { ifMatch: a.etag }), isPreconditionFailed);
    assert.equal(text((await s.get(key))!.body), "v2");
    await s.put(key, "v3", { ifMatch: b.etag });
    assert.equal(text((await s.get(key))!.body), "v3");
    await assert.rejects(s.put(`${fresh()}/none.json`, "x", { ifMatch: a.etag }), isPreconditionFailed);
    assert.equal(await s.head(`${fresh()}/none.json`), undefined);
  });

  test(`${name}: non-durable writes read back like any other`, async () => {
    const s = store();
    const key = `${fresh()}/soft.json`;
    const a = await s.put(key, "soft", { ifNoneMatch: "*", durable: false });
    await assert.rejects(s.put(key, "again", { ifNoneMatch: "*", durable: false }), isPreconditionFailed);
    assert.equal(text((await s.get(key))!.body), "soft");
    await s.delete(key, { ifMatch: a.etag, durable: false });
    assert.equal(await s.head(key), undefined);
  });

  test(`${name}: delete with If-Match removes only the matching version`, async () => {
    const s = store();
    const key = `${fresh()}/lease.json`;
    const a = await s.put(key, "v1");
    const b = await s.put(key, "v2");
    await assert.rejects(s.delete(key, { ifMatch: a.etag }), isPreconditionFailed);
    assert.equal(text((await s.get(key))!.body), "v2");
    await s.delete(key, { ifMatch: b.etag });
    assert.equal(await s.head(key), undefined);
  });

  test(`${name}: concurrent compare-and-swap on one ETag: exactly one wins`, async () => {
    const s = store();
    const key = `${fresh()}/counter.json`;
    const { etag } = await s.put(key, "0");
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => s.put(key, `swap ${i}`, { ifMatch: etag })),
    );
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    assert.equal(won.length, 1);
    assert.equal(text((await s.get(key))!.body), `swap ${won[0]}`);
  });
}
