// The tar stream is checked by the system's tar, not by our own reader.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { tarStream } from "./tar.ts";
import { collect, utf8Chunks } from "./text.ts";

const work = await mkdtemp(join(tmpdir(), "boxloop-tar-"));
after(() => rm(work, { recursive: true, force: true }));

test("tar extracts what we streamed: sizes across block boundaries, a long path, UTF-8 names", async () => {
  const long = `${"folder/".repeat(20)}file.txt`;
  const files: Record<string, string> = {
    "empty.txt": "",
    "block.txt": "x".repeat(512),
    "odd.txt": "y".repeat(1000),
    "ünïcode.txt": "z\n",
    [long]: "deep\n",
  };
  const bytes = await collect(
    tarStream(Object.entries(files).map(([path, text]) => ({ path, chunks: utf8Chunks([text]) }))),
  );
  assert.equal(bytes.length % 512, 0);
  await writeFile(join(work, "a.tar"), bytes);
  const listed = execFileSync("tar", ["-tf", join(work, "a.tar")], { encoding: "utf8" })
    .trim()
    .split("\n");
  assert.deepEqual(listed.sort(), Object.keys(files).sort());
  execFileSync("tar", ["-xf", join(work, "a.tar"), "-C", work]);
  for (const [path, text] of Object.entries(files)) assert.equal(await readFile(join(work, path), "utf8"), text, path);
});
