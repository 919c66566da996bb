// Real TensorFlow parses our TFRecord export of raccoon with the TF OD API's feature spec: the
// images decode to their stated size and the boxes are the ones we wrote.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { exportToPath, imagesFromDir, importFromPath } from "@boxloop/functions/formats/index";
import { odExampleSpec } from "../support/od-example-spec.ts";
import { referee } from "../support/referee.ts";

const raccoon = join(import.meta.dirname, "..", "..", "..", "shared", "datasets", "raccoon");
const work = await mkdtemp(join(tmpdir(), "boxloop-tfrecord-"));
after(() => rm(work, { recursive: true, force: true }));

const script = `
import json, sys
import tensorflow as tf
${odExampleSpec}
out = []
for record in tf.data.TFRecordDataset(sys.argv[1]):
    e = tf.io.parse_single_example(record, spec)
    image = tf.io.decode_image(e["image/encoded"], channels=3)
    dense = lambda k: tf.sparse.to_dense(e[k]).numpy().tolist()
    out.append({
        "filename": e["image/filename"].numpy().decode(),
        "format": e["image/format"].numpy().decode(),
        "width": int(e["image/width"]), "height": int(e["image/height"]),
        "decoded": [int(image.shape[1]), int(image.shape[0])],
        "xmin": dense("image/object/bbox/xmin"), "ymin": dense("image/object/bbox/ymin"),
        "xmax": dense("image/object/bbox/xmax"), "ymax": dense("image/object/bbox/ymax"),
        "text": [t.decode() for t in dense("image/object/class/text")],
        "label": dense("image/object/class/label"),
    })
print(json.dumps(out))
`;

test("TensorFlow parses our TFRecord export: images decode to their size, boxes as written", async () => {
  const { dataset } = await importFromPath(join(raccoon, "annotations"));
  const images = await imagesFromDir(join(raccoon, "images"));
  const out = join(work, "raccoon.record");
  await exportToPath(dataset, "tfrecord", out, { loadImage: images.read });
  const parsed = JSON.parse(referee().run(script, [out])) as {
    filename: string;
    format: string;
    width: number;
    height: number;
    decoded: [number, number];
    xmin: number[];
    ymin: number[];
    xmax: number[];
    ymax: number[];
    text: string[];
    label: number[];
  }[];
  assert.equal(parsed.length, dataset.images.length);
  parsed.forEach((e, i) => {
    const want = dataset.images[i]!;
    assert.equal(e.filename, want.fileName);
    assert.equal(e.format, "jpeg");
    assert.deepEqual([e.width, e.height], [want.width, want.height]);
    assert.deepEqual(e.decoded, [want.width, want.height], `${want.fileName}: decoded size`);
    assert.deepEqual(
      e.text,
      want.boxes.map((b) => b.label),
    );
    assert.deepEqual(
      e.label,
      want.boxes.map((b) => dataset.categories.indexOf(b.label) + 1),
    );
    want.boxes.forEach((b, j) => {
      for (const [key, size] of [
        ["xmin", want.width],
        ["ymin", want.height],
        ["xmax", want.width],
        ["ymax", want.height],
      ] as const)
        assert.ok(Math.abs(e[key][j]! - b[key] / size) <= 1e-6, `${want.fileName} box ${j} ${key}`);
    });
  });
});
