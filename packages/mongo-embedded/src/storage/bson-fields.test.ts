import { BSON, Binary, BSONRegExp, Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp } from "bson";
import { describe, expect, it } from "vitest";
import { DESERIALIZE_OPTIONS } from "../bson-values.js";
import { readTopLevelFields, selectFields } from "./bson-fields.js";

const everyType = {
  double: new Double(1.5),
  string: "Крушевац",
  doc: { a: [1, { b: "x" }] },
  array: [new Int32(1), "two"],
  binary: new Binary(Buffer.from("bytes"), 4),
  objectId: new ObjectId(),
  bool: true,
  date: new Date(0),
  null: null,
  regex: new BSONRegExp("^a", "i"),
  int: new Int32(7),
  timestamp: new Timestamp({ t: 1, i: 2 }),
  long: Long.fromString("9007199254740993"),
  decimal: Decimal128.fromString("0.1"),
  min: new MinKey(),
  max: new MaxKey(),
  last: "end",
};

describe("readTopLevelFields", () => {
  const buffer = Buffer.from(BSON.serialize({ _id: 1, ...everyType }));
  const full = BSON.deserialize(buffer, DESERIALIZE_OPTIONS);

  it("walks past every BSON type and decodes each selected field as a full read does", () => {
    for (const name of Object.keys(everyType)) {
      expect(readTopLevelFields(buffer, selectFields([name]))).toEqual({ _id: full._id, [name]: full[name] });
    }
  });

  it("always keeps _id and ignores names the document lacks", () => {
    expect(readTopLevelFields(buffer, selectFields(["missing"]))).toEqual({ _id: full._id });
    expect(readTopLevelFields(buffer, selectFields(["last", "int"]))).toEqual({ _id: full._id, int: full.int, last: "end" });
  });

  it("leaves _id out when asked to, unless it is named", () => {
    expect(readTopLevelFields(buffer, selectFields(["last"], false))).toStrictEqual({ last: "end" });
    expect(readTopLevelFields(buffer, selectFields(["_id", "last"], false))).toStrictEqual({ _id: full._id, last: "end" });
  });

  it("decodes the common scalars itself exactly as the library does, types and field order included", () => {
    const scalars = {
      _id: "id",
      text: "Видовданска 1 — ✓",
      empty: "",
      at: new Date("2026-11-01T00:00:00.123Z"),
      before1970: new Date(-86_400_001),
      int: new Int32(-7),
      double: new Double(-0),
      yes: true,
      no: false,
      nothing: null,
    };
    const doc = Buffer.from(BSON.serialize(scalars));
    const read = readTopLevelFields(doc, selectFields(Object.keys(scalars)));
    const library = BSON.deserialize(doc, DESERIALIZE_OPTIONS);
    expect(Object.keys(read)).toEqual(Object.keys(library));
    for (const [name, value] of Object.entries(library)) {
      expect(read[name]).toStrictEqual(value);
      if (value !== null && typeof value === "object") expect(Object.getPrototypeOf(read[name])).toBe(Object.getPrototypeOf(value));
    }
    expect(Object.is((read.double as Double).value, -0)).toBe(true);
    // A selected field of another type: the library decodes the document.
    const mixed = Buffer.from(BSON.serialize({ _id: 1, at: new Date(5), long: Long.fromNumber(3) }));
    expect(readTopLevelFields(mixed, selectFields(["at", "long"]))).toStrictEqual(BSON.deserialize(mixed, DESERIALIZE_OPTIONS));
  });

  it("decodes embedded documents and arrays of those scalars itself, and leaves DBRefs and other types to the library", () => {
    const nested = {
      _id: new Int32(1),
      assignee: { kind: "provider", id: "jkp", since: new Date(7), level: new Int32(2), inner: { deep: [true, null] } },
      tags: ["a", new Int32(3), { x: "y" }, []],
      empty: {},
      ref: { $ref: "things", $id: "t1" },
      longs: [Long.fromNumber(3)],
    };
    const doc = Buffer.from(BSON.serialize(nested));
    for (const fields of [["assignee", "tags", "empty"], ["ref"], ["longs"], ["assignee", "ref"]]) {
      const read = readTopLevelFields(doc, selectFields(fields));
      const library = BSON.deserialize(doc, DESERIALIZE_OPTIONS);
      const expected = Object.fromEntries(Object.entries(library).filter(([name]) => name === "_id" || fields.includes(name)));
      expect(read).toStrictEqual(expected);
    }
  });

  it("decodes short strings seen before to the same value, whatever else shares their slot", () => {
    // Thousands of distinct short strings (and names) share the table's slots with repeated ones.
    const values = Array.from({ length: 20_000 }, (_, n) => (n % 3 === 0 ? "in-progress" : n % 3 === 1 ? `code-${n}` : `ж${n}✓`));
    const selection = selectFields(["value", "nested"]);
    for (const [n, value] of values.entries()) {
      const doc = Buffer.from(BSON.serialize({ _id: n, value, nested: { [`k${n % 97}`]: value } }));
      expect(readTopLevelFields(doc, selection)).toStrictEqual(BSON.deserialize(doc, DESERIALIZE_OPTIONS));
    }
    // Invalid UTF-8 (a lone continuation byte, a truncated sequence) decodes as Buffer#toString decodes it.
    for (const bytes of [[0x61, 0x80], [0xe2, 0x82], [0x80], [0x61, 0x80]]) {
      const text = Buffer.from(bytes);
      const doc = Buffer.concat([Buffer.from([0, 0, 0, 0, 0x02]), Buffer.from("s\0"), Buffer.alloc(4), text, Buffer.from([0, 0])]);
      doc.writeInt32LE(doc.length, 0);
      doc.writeInt32LE(text.length + 1, 7);
      expect(readTopLevelFields(doc, selectFields(["s"])).s).toBe(text.toString("utf8"));
    }
  });

  it("does not take a field whose name only starts like a selected one", () => {
    const doc = Buffer.from(BSON.serialize({ _id: 1, category: "a", cat: "b" }));
    expect(readTopLevelFields(doc, selectFields(["cat"]))).toEqual({ _id: new Int32(1), cat: "b" });
  });
});
