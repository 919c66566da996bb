import assert from "node:assert/strict";
import { test } from "node:test";
import { exportCsv, importCsv, parseCsvRows } from "./csv.ts";
import type { Dataset } from "./dataset.ts";
import { sourceFromFiles } from "./source.ts";
import { collect } from "./text.ts";

const header = "filename,width,height,class,xmin,ymin,xmax,ymax\n";
const fromText = (text: string) => importCsv(sourceFromFiles({ "labels.csv": new TextEncoder().encode(text) }));

test("quoted fields: commas, quotes and newlines in names survive a round trip", async () => {
  const dataset: Dataset = {
    categories: ['big "cat"', "dog, small"],
    images: [
      {
        fileName: "a,b.jpg",
        width: 100,
        height: 50,
        boxes: [
          { label: 'big "cat"', xmin: 1.5, ymin: 2, xmax: 30, ymax: 40.25 },
          { label: "dog, small", xmin: 0, ymin: 0, xmax: 100, ymax: 50 },
        ],
      },
      { fileName: "empty.jpg", width: 10, height: 10, boxes: [] },
    ],
  };
  const bytes = await collect(exportCsv(dataset));
  assert.deepEqual(await importCsv(sourceFromFiles({ "x.csv": bytes })), dataset);
  assert.deepEqual(parseCsvRows('a,"b\nc",d\r\ne,f,g', "t.csv"), [
    { line: 1, fields: ["a", "b\nc", "d"] },
    { line: 3, fields: ["e", "f", "g"] },
  ]);
});

test("columns may come in any order; empty width and height without images is an error", async () => {
  const d = await fromText("class,filename,xmin,ymin,xmax,ymax,width,height\ncat,a.jpg,1,2,3,4,10,20\n");
  assert.deepEqual(d.images[0], {
    fileName: "a.jpg",
    width: 10,
    height: 20,
    boxes: [{ label: "cat", xmin: 1, ymin: 2, xmax: 3, ymax: 4 }],
  });
  await assert.rejects(
    fromText(`${header}a.jpg,,,cat,1,2,3,4\n`),
    /labels\.csv:2: width: the size of a\.jpg is missing and no images folder was given/,
  );
});

test("malformed rows are errors naming the line and field", async () => {
  await assert.rejects(fromText("filename,class\n"), /labels\.csv:1: the header lacks the column 'width'/);
  await assert.rejects(fromText(`${header}a.jpg,10,10,cat,1,2,3\n`), /labels\.csv:2: expected 8 fields, got 7/);
  await assert.rejects(
    fromText(`${header}a.jpg,10,10,cat,1,2,3,4\na.jpg,10,10,cat,5,2,3,4\n`),
    /labels\.csv:3: xmax: xmax 3 is less than xmin 5/,
  );
  await assert.rejects(
    fromText(`${header}a.jpg,-10,10,cat,1,2,3,4\n`),
    /labels\.csv:2: width: width must be a positive integer, got -10/,
  );
  await assert.rejects(fromText(`${header}a.jpg,10,10,,1,2,3,4\n`), /labels\.csv:2: class: the class is empty/);
  await assert.rejects(fromText(`${header}"a.jpg,10\n`), /labels\.csv:2: a quoted field is not closed/);
  await assert.rejects(importCsv(sourceFromFiles({ "a.json": new Uint8Array() })), /no \.csv file found/);
});
