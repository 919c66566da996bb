// TensorBoard reads the event files that @boxloop/proto writes: scalar tags, steps and values, and
// image summaries whose PNG decodes to the stated size.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { EventWriter } from "@boxloop/proto/event-writer";
import { referee } from "../support/referee.ts";

const work = await mkdtemp(join(tmpdir(), "boxloop-events-"));
after(() => rm(work, { recursive: true, force: true }));

/** A minimal RGB PNG: signature, IHDR, one IDAT, IEND. */
function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), y * (1 + width * 3) + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const script = `
import base64, json, sys
import tensorflow as tf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
acc.Reload()
tags = acc.Tags()
out = {
    "scalars": {t: [[s.step, s.value] for s in acc.Scalars(t)] for t in tags["scalars"]},
    "images": {},
}
for t in tags["images"]:
    out["images"][t] = []
    for i in acc.Images(t):
        decoded = tf.io.decode_png(i.encoded_image_string)
        out["images"][t].append([i.step, i.width, i.height, list(decoded.shape), decoded.numpy()[1][2].tolist()])
print(json.dumps(out))
`;

test("TensorBoard's EventAccumulator reads our scalar tags, steps and values, and our images", async () => {
  const dir = join(work, "train");
  const writer = await EventWriter.create(dir, { flushIntervalMs: 50 });
  const losses: [number, number][] = [];
  for (let step = 0; step <= 200; step += 20) {
    const loss = 2 / (1 + step / 50);
    losses.push([step, loss]);
    writer.scalar("loss/total", loss, step);
    writer.scalar("learning_rate", 0.001, step);
  }
  const image = png(5, 3, (x, y) => [x * 50, y * 100, 7]);
  writer.image("predictions/raccoon-1", { encoded: image, width: 5, height: 3 }, 200);
  await writer.close();

  const seen = JSON.parse(referee().run(script, [dir]));
  assert.deepEqual(Object.keys(seen.scalars).sort(), ["learning_rate", "loss/total"]);
  assert.deepEqual(
    seen.scalars["loss/total"],
    losses.map(([s, v]) => [s, Math.fround(v)]),
  );
  assert.equal(seen.scalars.learning_rate.length, losses.length);
  assert.deepEqual(seen.images, { "predictions/raccoon-1": [[200, 5, 3, [3, 5, 3], [100, 100, 7]]] });
});
