/**
 * Reading only some top-level fields of a stored BSON document. Decoding whole documents is what a
 * collection scan spends its time on; a filter or a `$group` usually needs two or three fields, so
 * the scan decodes those, and the whole document only for the ones that match.
 */
import { BSON, Double, Int32 } from "bson";
import { DESERIALIZE_OPTIONS, type Doc } from "../bson-values.js";

/** Bytes of a value of each fixed-size BSON type. */
const FIXED_SIZES: Record<number, number> = {
  0x01: 8, // double
  0x06: 0, // undefined
  0x07: 12, // ObjectId
  0x08: 1, // boolean
  0x09: 8, // date
  0x0a: 0, // null
  0x10: 4, // int32
  0x11: 8, // timestamp
  0x12: 8, // int64
  0x13: 16, // decimal128
  0xff: 0, // MinKey
  0x7f: 0, // MaxKey
};

/** The offset just past the value of type `type` that starts at `offset`. */
function valueEnd(buffer: Buffer, type: number, offset: number): number {
  const fixed = FIXED_SIZES[type];
  if (fixed !== undefined) return offset + fixed;
  switch (type) {
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return offset + 4 + buffer.readInt32LE(offset);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return offset + buffer.readInt32LE(offset);
    case 0x05: // binary: length, subtype, bytes
      return offset + 5 + buffer.readInt32LE(offset);
    case 0x0b: {
      // regex: two C strings
      const patternEnd = buffer.indexOf(0, offset);
      return buffer.indexOf(0, patternEnd + 1) + 1;
    }
    case 0x0c: // DBPointer: string, then ObjectId
      return offset + 4 + buffer.readInt32LE(offset) + 12;
    default:
      throw new Error(`unknown BSON type 0x${type.toString(16)} in a stored document`);
  }
}

/** Top-level field names, encoded once so that the walk compares bytes instead of decoding every name. */
export interface FieldSelection {
  readonly names: ReadonlySet<string>;
  readonly encoded: readonly Buffer[];
}

export function selectFields(names: Iterable<string>): FieldSelection {
  const unique = new Set(names);
  unique.add("_id");
  return { names: unique, encoded: [...unique].map((name) => Buffer.from(name, "utf8")) };
}

function isSelected(buffer: Buffer, nameStart: number, nameEnd: number, selection: FieldSelection): boolean {
  const length = nameEnd - nameStart;
  for (const name of selection.encoded) {
    if (name.length === length && buffer.compare(name, 0, length, nameStart, nameEnd) === 0) return true;
  }
  return false;
}

/**
 * The document with only the selected top-level fields (always with `_id`), decoded as a full read
 * would decode them. Stored documents were validated on the way in, so the walk trusts their framing.
 */
export function readTopLevelFields(buffer: Buffer, selection: FieldSelection): Doc {
  const end = buffer.readInt32LE(0) - 1;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let offset = 4;
  // The common scalar types are decoded here as BSON.deserialize (DESERIALIZE_OPTIONS) would decode
  // them; a document with any other selected type is decoded by the library after all.
  let direct: Doc | undefined = {};
  while (offset < end) {
    const type = buffer[offset];
    const nameEnd = buffer.indexOf(0, offset + 1);
    const next = valueEnd(buffer, type, nameEnd + 1);
    if (isSelected(buffer, offset + 1, nameEnd, selection)) {
      const element = buffer.subarray(offset, next);
      kept.push(element);
      keptBytes += element.length;
      if (direct) {
        const value = scalarValue(buffer, type, nameEnd + 1, next);
        const name = value === NOT_SCALAR ? undefined : buffer.toString("utf8", offset + 1, nameEnd);
        if (name === undefined || name === "__proto__") direct = undefined;
        else direct[name] = value;
      }
    }
    offset = next;
  }
  if (direct) return direct;
  const size = 4 + keptBytes + 1;
  const header = Buffer.allocUnsafe(4);
  header.writeInt32LE(size, 0);
  return BSON.deserialize(Buffer.concat([header, ...kept, Buffer.from([0])], size), DESERIALIZE_OPTIONS) as Doc;
}

const NOT_SCALAR = Symbol("not a scalar");

/** A value of a common scalar type, decoded as BSON.deserialize with promoteValues: false does. */
function scalarValue(buffer: Buffer, type: number, start: number, end: number): unknown {
  switch (type) {
    case 0x01:
      return new Double(buffer.readDoubleLE(start));
    case 0x02:
      // int32 length (including the terminating NUL), the bytes, the NUL.
      return buffer.toString("utf8", start + 4, end - 1);
    case 0x08:
      return buffer[start] === 1;
    case 0x09:
      // As bson's Long.toNumber: high word * 2^32 + unsigned low word.
      return new Date(buffer.readInt32LE(start + 4) * 4294967296 + buffer.readUInt32LE(start));
    case 0x0a:
      return null;
    case 0x10:
      return new Int32(buffer.readInt32LE(start));
    default:
      return NOT_SCALAR;
  }
}
