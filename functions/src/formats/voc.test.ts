import assert from "node:assert/strict";
import { test } from "node:test";
import { parseVocFile, vocFileName, vocXml } from "./voc.ts";
import { parseXml } from "./xml.ts";

test("XML: entities, comments, CDATA, attributes, self-closing tags", () => {
  const root = parseXml(
    `<?xml version="1.0"?>\n<!-- c -->\n<a k='v &amp; w'><b>x &lt; y &#65;&#x42;</b><c/><d><![CDATA[<raw>]]></d></a>`,
    "t.xml",
  );
  assert.equal(root.attributes.k, "v & w");
  assert.deepEqual(
    root.children.map((c) => [c.name, c.text, c.line]),
    [
      ["b", "x < y AB", 3],
      ["c", "", 3],
      ["d", "<raw>", 3],
    ],
  );
  assert.throws(() => parseXml("<a>\n<b>\n</a>", "t.xml"), /t\.xml:3: <\/a> closes <b> opened on line 2/);
  assert.throws(() => parseXml("<a>\n<b>", "t.xml"), /t\.xml:2: <b> is not closed/);
  assert.throws(() => parseXml("<a>&nbsp;</a>", "t.xml"), /unknown entity &nbsp;/);
});

test("VOC: a round trip through our XML, with names needing escapes", async () => {
  const image = {
    fileName: "sub/a&b.jpg",
    width: 64,
    height: 48,
    boxes: [{ label: "<cat>", xmin: 1.25, ymin: 2, xmax: 30, ymax: 40 }],
  };
  assert.deepEqual(await parseVocFile(vocXml(image), "a.xml"), image);
  assert.equal(vocFileName("sub/a&b.jpg"), "sub/a&b.xml");
});

test("VOC: missing parts are errors with the line and field; a missing size is read from the image", async () => {
  const doc = (objects: string, size = "<size><width>10</width><height>10</height></size>") =>
    `<annotation>\n<filename>a.jpg</filename>\n${size}\n${objects}\n</annotation>`;
  await assert.rejects(
    parseVocFile(doc("<object><name>cat</name></object>"), "a.xml"),
    /a\.xml:4: object\[0\]\.bndbox: <bndbox> is missing/,
  );
  await assert.rejects(
    parseVocFile(
      doc(
        "<object><name>cat</name><bndbox>\n<xmin>1</xmin><ymin>z</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>",
      ),
      "a.xml",
    ),
    /a\.xml:5: object\[0\]\.bndbox\.ymin: expected a number, got 'z'/,
  );
  await assert.rejects(parseVocFile("<notes/>", "a.xml"), /a\.xml:1: the root element is <notes>/);
  await assert.rejects(
    parseVocFile(doc("", ""), "a.xml"),
    /the size of a\.jpg is missing and no images folder was given/,
  );
  const sized = await parseVocFile(doc("", "<size><width>0</width><height>0</height></size>"), "a.xml", {
    list: async () => ["a.jpg"],
    read: async () => new Uint8Array(),
    size: async () => ({ width: 33, height: 44 }),
  });
  assert.deepEqual([sized.width, sized.height], [33, 44]);
});
