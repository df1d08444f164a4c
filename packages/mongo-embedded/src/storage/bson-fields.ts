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

/** FIXED_SIZES by type byte, -1 for the others: an array lookup, on the path of every field of a scan. */
const FIXED_SIZE_BY_TYPE = new Int8Array(256).fill(-1);
for (const [type, size] of Object.entries(FIXED_SIZES)) FIXED_SIZE_BY_TYPE[Number(type)] = size;

/** A little-endian int32 at `offset`; stored documents were validated, so without Buffer's bounds checks. */
function int32At(buffer: Buffer, offset: number): number {
  return buffer[offset]! | (buffer[offset + 1]! << 8) | (buffer[offset + 2]! << 16) | (buffer[offset + 3]! << 24);
}

/** The offset just past the value of type `type` that starts at `offset`. */
function valueEnd(buffer: Buffer, type: number, offset: number): number {
  const fixed = FIXED_SIZE_BY_TYPE[type]!;
  if (fixed >= 0) return offset + fixed;
  switch (type) {
    case 0x02: // string
    case 0x0d: // JavaScript code
    case 0x0e: // symbol
      return offset + 4 + int32At(buffer, offset);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return offset + int32At(buffer, offset);
    case 0x05: // binary: length, subtype, bytes
      return offset + 5 + int32At(buffer, offset);
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
  /** `names` in the order of `encoded`. */
  readonly list: readonly string[];
  /**
   * Positions in `encoded` by encoded length (an array indexed by length, undefined past the longest):
   * a stored name is compared only with names as long, after one array read rather than a map lookup.
   */
  readonly byLength: readonly (readonly number[] | undefined)[];
}

/**
 * `withId` false: `_id` only if named. A `$group` that does not read it, or a filter, is spared decoding
 * a value unique to every document (typically a long string or an ObjectId).
 */
export function selectFields(names: Iterable<string>, withId = true): FieldSelection {
  const unique = new Set(names);
  if (withId) unique.add("_id");
  const list = [...unique];
  const encoded = list.map((name) => Buffer.from(name, "utf8"));
  const byLength: (number[] | undefined)[] = [];
  encoded.forEach((name, position) => (byLength[name.length] ??= []).push(position));
  return { names: unique, encoded, list, byLength };
}

/** The position in `selection` of the name stored at nameStart..nameEnd, or -1. */
function selectedName(buffer: Buffer, nameStart: number, nameEnd: number, selection: FieldSelection): number {
  const length = nameEnd - nameStart;
  const candidates = length < selection.byLength.length ? selection.byLength[length] : undefined;
  if (candidates === undefined) return -1;
  const encoded = selection.encoded;
  for (const candidate of candidates) {
    const name = encoded[candidate]!;
    let position = 0;
    while (position < length && name[position] === buffer[nameStart + position]) position++;
    if (position === length) return candidate;
  }
  return -1;
}

/** The offset of the NUL that ends the C string starting at `offset`. */
function cStringEnd(buffer: Buffer, offset: number): number {
  while (buffer[offset] !== 0) offset++;
  return offset;
}

/**
 * The document with only the selected top-level fields (with `_id` unless the selection leaves it out), decoded as a full read
 * would decode them. Stored documents were validated on the way in, so the walk trusts their framing.
 * The common scalar types are decoded here as BSON.deserialize (DESERIALIZE_OPTIONS) would decode
 * them; a document with any other selected type is decoded by the library after all.
 */
export function readTopLevelFields(buffer: Buffer, selection: FieldSelection): Doc {
  const end = int32At(buffer, 0) - 1;
  const direct: Doc = {};
  const list = selection.list;
  let offset = 4;
  while (offset < end) {
    const type = buffer[offset];
    const nameEnd = cStringEnd(buffer, offset + 1);
    const next = valueEnd(buffer, type, nameEnd + 1);
    const selected = selectedName(buffer, offset + 1, nameEnd, selection);
    if (selected >= 0) {
      const value = scalarValue(buffer, type, nameEnd + 1, next);
      const name = list[selected];
      if (value === NOT_SCALAR || name === "__proto__") return readTopLevelFieldsByLibrary(buffer, selection);
      direct[name] = value;
    }
    offset = next;
  }
  return direct;
}

/** readTopLevelFields for documents with selected values of other types: the selected elements, decoded by the library. */
function readTopLevelFieldsByLibrary(buffer: Buffer, selection: FieldSelection): Doc {
  const end = buffer.readInt32LE(0) - 1;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let offset = 4;
  while (offset < end) {
    const type = buffer[offset];
    const nameEnd = cStringEnd(buffer, offset + 1);
    const next = valueEnd(buffer, type, nameEnd + 1);
    if (selectedName(buffer, offset + 1, nameEnd, selection) >= 0) {
      const element = buffer.subarray(offset, next);
      kept.push(element);
      keptBytes += element.length;
    }
    offset = next;
  }
  const size = 4 + keptBytes + 1;
  const header = Buffer.allocUnsafe(4);
  header.writeInt32LE(size, 0);
  return BSON.deserialize(Buffer.concat([header, ...kept, Buffer.from([0])], size), DESERIALIZE_OPTIONS) as Doc;
}

const NOT_SCALAR = Symbol("not a scalar");

/**
 * Short strings decoded before, by their bytes. A report reads a status, a category and a channel
 * from every document: a few dozen distinct values, each decoded by a native call and allocated anew
 * 50,000 times without this. A direct-mapped table (a slot per hash, the last string to land there
 * wins) with the bytes copied into one slab, so a miss allocates nothing but the decoded string and
 * unique values (codes, names) only cost the hash. Shared by every collection: it maps bytes to the
 * one string they decode to, which no write can change.
 */
const INTERNED_MAX_BYTES = 32;
const INTERN_SLOTS = 4096;
const internedLengths = new Int32Array(INTERN_SLOTS).fill(-1);
const internedBytes = new Uint8Array(INTERN_SLOTS * INTERNED_MAX_BYTES);
const internedStrings: string[] = new Array<string>(INTERN_SLOTS).fill("");

/** The UTF-8 string in buffer[start, end), at most INTERNED_MAX_BYTES long, decoded as Buffer#toString does. */
function shortString(buffer: Buffer, start: number, end: number): string {
  const length = end - start;
  // FNV-1a over the bytes.
  let hash = 0x811c9dc5;
  for (let position = start; position < end; position++) hash = Math.imul(hash ^ buffer[position]!, 0x01000193);
  const slot = (hash >>> 0) & (INTERN_SLOTS - 1);
  const base = slot * INTERNED_MAX_BYTES;
  if (internedLengths[slot] === length) {
    let same = 0;
    while (same < length && internedBytes[base + same] === buffer[start + same]) same++;
    if (same === length) return internedStrings[slot]!;
  }
  const value = buffer.toString("utf8", start, end);
  for (let position = 0; position < length; position++) internedBytes[base + position] = buffer[start + position]!;
  internedLengths[slot] = length;
  internedStrings[slot] = value;
  return value;
}

/** A value of a common scalar type, decoded as BSON.deserialize with promoteValues: false does. */
function scalarValue(buffer: Buffer, type: number, start: number, end: number): unknown {
  switch (type) {
    case 0x01:
      return new Double(buffer.readDoubleLE(start));
    case 0x02:
      // int32 length (including the terminating NUL), the bytes, the NUL.
      return end - 1 - (start + 4) <= INTERNED_MAX_BYTES ? shortString(buffer, start + 4, end - 1) : buffer.toString("utf8", start + 4, end - 1);
    case 0x08:
      return buffer[start] === 1;
    case 0x09:
      // As bson's Long.toNumber: high word * 2^32 + unsigned low word.
      return new Date(int32At(buffer, start + 4) * 4294967296 + (int32At(buffer, start) >>> 0));
    case 0x0a:
      return null;
    case 0x10:
      return new Int32(int32At(buffer, start));
    case 0x03:
    case 0x04:
      return nestedValue(buffer, start, type === 0x04);
    default:
      return NOT_SCALAR;
  }
}

/**
 * An embedded document or array made of the types scalarValue decodes, as BSON.deserialize decodes
 * it; NOT_SCALAR for anything else, and for names starting with "$" (a DBRef's `$ref`/`$id`, which the
 * library turns into a DBRef) or `__proto__`.
 */
function nestedValue(buffer: Buffer, start: number, isArray: boolean): unknown {
  const end = start + int32At(buffer, start) - 1;
  // Only the container the value is: an embedded document per stored document adds up over a scan.
  const array: unknown[] | undefined = isArray ? [] : undefined;
  const doc: Doc | undefined = isArray ? undefined : {};
  let offset = start + 4;
  while (offset < end) {
    const type = buffer[offset];
    const nameEnd = cStringEnd(buffer, offset + 1);
    const next = valueEnd(buffer, type, nameEnd + 1);
    const value = scalarValue(buffer, type, nameEnd + 1, next);
    if (value === NOT_SCALAR) return NOT_SCALAR;
    if (array) {
      array.push(value);
    } else {
      const name = nameEnd - offset - 1 <= INTERNED_MAX_BYTES ? shortString(buffer, offset + 1, nameEnd) : buffer.toString("utf8", offset + 1, nameEnd);
      if (name.startsWith("$") || name === "__proto__") return NOT_SCALAR;
      doc![name] = value;
    }
    offset = next;
  }
  return array ?? doc;
}
