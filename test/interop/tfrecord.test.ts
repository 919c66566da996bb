// TFRecords and tf.Examples against real TensorFlow, both ways: TensorFlow parses what
// @boxloop/proto writes from the raccoon CSV, and @boxloop/proto decodes the test.record that
// TensorFlow wrote.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type DetectionExample, decodeDetectionExample, encodeDetectionExample } from "@boxloop/proto/example";
import { readTFRecords, TFRecordError, writeTFRecordFile } from "@boxloop/proto/tfrecord";
import { odExampleSpec } from "../support/od-example-spec.ts";
import { referee } from "../support/referee.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const work = await mkdtemp(join(tmpdir(), "boxloop-proto-tfrecord-"));
after(() => rm(work, { recursive: true, force: true }));

interface Row {
  filename: string;
  width: number;
  height: number;
  label: string;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
}

async function readCsv(name: string): Promise<Map<string, Row[]>> {
  const [header, ...lines] = (await readFile(join(raccoon, "data", name), "utf8")).trim().split(/\r?\n/);
  assert.equal(header, "filename,width,height,class,xmin,ymin,xmax,ymax");
  const byFile = new Map<string, Row[]>();
  for (const line of lines) {
    const [filename, width, height, label, xmin, ymin, xmax, ymax] = line.split(",");
    const row = { filename: filename!, label: label!, ...numbers({ width, height, xmin, ymin, xmax, ymax }) };
    byFile.set(row.filename, [...(byFile.get(row.filename) ?? []), row]);
  }
  return byFile;
}

function numbers<K extends string>(o: Record<K, string | undefined>): Record<K, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v)])) as Record<K, number>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const parseScript = `
import hashlib, json, sys
import tensorflow as tf
${odExampleSpec}
for record in tf.data.TFRecordDataset(sys.argv[1]):
    e = tf.io.parse_single_example(record, spec)
    dense = lambda k: tf.sparse.to_dense(e[k]).numpy().tolist()
    print(json.dumps({
        "filename": e["image/filename"].numpy().decode(),
        "sourceId": e["image/source_id"].numpy().decode(),
        "format": e["image/format"].numpy().decode(),
        "sha256": hashlib.sha256(e["image/encoded"].numpy()).hexdigest(),
        "width": int(e["image/width"]), "height": int(e["image/height"]),
        "xmin": dense("image/object/bbox/xmin"), "xmax": dense("image/object/bbox/xmax"),
        "ymin": dense("image/object/bbox/ymin"), "ymax": dense("image/object/bbox/ymax"),
        "text": [t.decode() for t in dense("image/object/class/text")],
        "label": dense("image/object/class/label"),
    }))
`;

test("TensorFlow reads back the JPEG bytes, boxes and labels of a TFRecord written from the raccoon CSV", async () => {
  const rows = await readCsv("train_labels.csv");
  const examples: DetectionExample[] = [];
  for (const [filename, boxes] of rows) {
    const { width, height } = boxes[0]!;
    examples.push({
      filename,
      sourceId: filename,
      encoded: await readFile(join(raccoon, "images", filename)),
      format: "jpeg",
      width,
      height,
      objects: boxes.map((b) => ({
        xmin: b.xmin / width,
        xmax: b.xmax / width,
        ymin: b.ymin / height,
        ymax: b.ymax / height,
        label: 1,
        text: b.label,
      })),
    });
  }
  const path = join(work, "train.record");
  await writeTFRecordFile(
    path,
    examples.map((e) => encodeDetectionExample(e)),
  );

  const parsed = referee()
    .run(parseScript, [path])
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(parsed.length, examples.length);
  assert.ok(examples.length > 150, `expected the whole training split, got ${examples.length}`);
  parsed.forEach((p, i) => {
    const e = examples[i]!;
    assert.equal(p.filename, e.filename);
    assert.equal(p.sourceId, e.sourceId);
    assert.equal(p.format, "jpeg");
    assert.equal(p.sha256, sha256(e.encoded), `${e.filename}: JPEG bytes differ`);
    assert.deepEqual([p.width, p.height], [e.width, e.height]);
    for (const k of ["xmin", "xmax", "ymin", "ymax"] as const) {
      assert.deepEqual(
        p[k],
        e.objects.map((o) => Math.fround(o[k])),
        `${e.filename}: ${k}`,
      );
    }
    assert.deepEqual(
      p.text,
      e.objects.map((o) => o.text),
    );
    assert.deepEqual(
      p.label,
      e.objects.map((o) => o.label),
    );
  });
});

test("the test.record written by TensorFlow decodes to 40 examples whose boxes equal test_labels.csv", async () => {
  const rows = await readCsv("test_labels.csv");
  const seen: string[] = [];
  for await (const record of readTFRecords(join(raccoon, "data", "test.record"))) {
    const ex = decodeDetectionExample(record);
    seen.push(ex.filename);
    const expected = rows.get(ex.filename);
    assert.ok(expected, `${ex.filename} is not in test_labels.csv`);
    assert.deepEqual([ex.width, ex.height], [expected[0]!.width, expected[0]!.height]);
    assert.ok(["jpeg", "jpg"].includes(ex.format.toLowerCase()), ex.format);
    assert.deepEqual([...ex.encoded.subarray(0, 3)], [0xff, 0xd8, 0xff], `${ex.filename}: not a JPEG`);
    const px = (v: number) => Math.round(v * 1000) / 1000;
    assert.deepEqual(
      ex.objects.map((o) => [
        px(o.xmin * ex.width),
        px(o.ymin * ex.height),
        px(o.xmax * ex.width),
        px(o.ymax * ex.height),
      ]),
      expected.map((r) => [r.xmin, r.ymin, r.xmax, r.ymax]),
      ex.filename,
    );
    assert.deepEqual(
      ex.objects.map((o) => [o.text, o.label]),
      expected.map((r) => [r.label, 1]),
    );
  }
  assert.equal(seen.length, 40);
  assert.deepEqual([...seen].sort(), [...rows.keys()].sort());
});

test("damaged copies of test.record fail at the byte offset TensorFlow reports", async () => {
  const original = await readFile(join(raccoon, "data", "test.record"));
  let fifth = 0; // start of the fifth record
  for (let i = 0; i < 4; i++) fifth += 16 + Number(original.readBigUInt64LE(fifth));
  const damaged = (edit: (b: Buffer) => Buffer) => edit(Buffer.from(original));
  const cases = {
    "flipped data byte": damaged((b) => {
      b[fifth + 12 + 100]! ^= 0x01;
      return b;
    }),
    "flipped length byte": damaged((b) => {
      b[fifth + 3]! ^= 0x10;
      return b;
    }),
    "cut inside a record": damaged((b) => b.subarray(0, fifth + 50)),
  };
  const paths: string[] = [];
  for (const [name, bytes] of Object.entries(cases)) {
    const path = join(work, `${name.replaceAll(" ", "-")}.record`);
    await writeFile(path, bytes);
    paths.push(path);
  }
  const tf = JSON.parse(
    referee().run(
      `
import json, re, sys
import tensorflow as tf
out = []
for path in sys.argv[1:]:
    try:
        for _ in tf.data.TFRecordDataset(path):
            pass
        out.append(None)
    except tf.errors.DataLossError as e:
        out.append(int(re.search(r"(?:corrupted|truncated) record at (\\d+)", str(e)).group(1)))
print(json.dumps(out))
`,
      paths,
    ),
  ) as (number | null)[];
  for (const [i, name] of Object.keys(cases).entries()) {
    assert.equal(typeof tf[i], "number", `TensorFlow accepted the ${name}`);
    await assert.rejects(
      (async () => {
        for await (const _ of readTFRecords(paths[i]!));
      })(),
      (e: unknown) => {
        assert.ok(e instanceof TFRecordError, String(e));
        assert.equal(e.offset, tf[i], `${name}: TensorFlow says ${tf[i]}, we say ${e.message}`);
        return true;
      },
    );
  }
});
