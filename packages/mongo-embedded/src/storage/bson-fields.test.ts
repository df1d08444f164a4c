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

  it("does not take a field whose name only starts like a selected one", () => {
    const doc = Buffer.from(BSON.serialize({ _id: 1, category: "a", cat: "b" }));
    expect(readTopLevelFields(doc, selectFields(["cat"]))).toEqual({ _id: new Int32(1), cat: "b" });
  });
});
