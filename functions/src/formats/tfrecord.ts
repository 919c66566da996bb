// TFRecord of tf.train.Example with the TF Object Detection API's keys (image/encoded,
// image/object/bbox/*, image/object/class/{text,label}); boxes normalized, class ids from 1 in the
// dataset's category order. Exports embed each image, read through the loader as it is written.
import { decodeDetectionExample, ExampleError, encodeDetectionExample } from "@boxloop/proto/example";
import { frameRecord, readTFRecords, TFRecordError } from "@boxloop/proto/tfrecord";
import { checkBox, type Dataset, FormatError, type ImageAnnotations } from "./dataset.ts";
import { formatOfFile } from "./detect.ts";
import type { FileSource, ImageSource } from "./source.ts";

export async function importTfrecord(source: FileSource, _images?: ImageSource): Promise<Dataset> {
  const all = await source.list();
  const names = all.length === 1 ? all : all.filter((n) => formatOfFile(n) === "tfrecord");
  if (names.length === 0) throw new FormatError("no .record or .tfrecord file found");
  const list: ImageAnnotations[] = [];
  const labelIds = new Map<string, number>();
  for (const file of names) {
    let index = 0;
    try {
      for await (const record of readTFRecords(source.stream ? source.stream(file) : await source.read(file))) {
        const where = { file, field: `record[${index}]` };
        let example: ReturnType<typeof decodeDetectionExample>;
        try {
          example = decodeDetectionExample(record);
        } catch (error) {
          if (error instanceof ExampleError) throw new FormatError(error.message, where);
          throw error;
        }
        const { width, height } = example;
        const fileName = example.filename || example.sourceId;
        if (!fileName) throw new FormatError("image/filename and image/source_id are both empty", where);
        const boxes = example.objects.map((o, i) => {
          const label = o.text || String(o.label);
          if (o.label > 0 && !labelIds.has(label)) labelIds.set(label, o.label);
          const box = {
            label,
            xmin: o.xmin * width,
            ymin: o.ymin * height,
            xmax: o.xmax * width,
            ymax: o.ymax * height,
          };
          return checkBox(box, { file }, `record[${index}].object[${i}].`);
        });
        list.push({ fileName, width, height, boxes });
        index++;
      }
    } catch (error) {
      if (error instanceof TFRecordError) throw new FormatError(error.message, { file, field: `record[${index}]` });
      throw error;
    }
  }
  // class ids order the categories; labels seen without an id go last, in first-seen order
  const seen = new Set<string>();
  for (const image of list) for (const box of image.boxes) seen.add(box.label);
  const categories = [...seen].sort((a, b) => (labelIds.get(a) ?? Infinity) - (labelIds.get(b) ?? Infinity));
  return { categories, images: list };
}

function imageFormat(fileName: string): string {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".png")) return "png";
  if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) return "jpeg";
  return lower.slice(lower.lastIndexOf(".") + 1);
}

const clip = (v: number) => Math.min(Math.max(v, 0), 1);

export async function* exportTfrecord(
  dataset: Dataset,
  loadImage: (fileName: string) => Promise<Uint8Array>,
  onProgress?: (done: number, total: number) => void,
): AsyncGenerator<Uint8Array> {
  const classId = new Map(dataset.categories.map((name, i) => [name, i + 1]));
  for (const [i, image] of dataset.images.entries()) {
    const { width, height } = image;
    const objects = image.boxes.map((b) => {
      const label = classId.get(b.label);
      if (label === undefined)
        throw new FormatError(`the label '${b.label}' is not among the categories`, { file: image.fileName });
      return {
        xmin: clip(b.xmin / width),
        ymin: clip(b.ymin / height),
        xmax: clip(b.xmax / width),
        ymax: clip(b.ymax / height),
        label,
        text: b.label,
      };
    });
    const encoded = await loadImage(image.fileName);
    yield frameRecord(
      encodeDetectionExample({
        filename: image.fileName,
        sourceId: image.fileName,
        encoded,
        format: imageFormat(image.fileName),
        width,
        height,
        objects,
      }),
    );
    onProgress?.(i + 1, dataset.images.length);
  }
}
