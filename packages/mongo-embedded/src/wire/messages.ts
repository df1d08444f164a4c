/**
 * MongoDB wire protocol messages: the header, OP_MSG both ways, the legacy OP_QUERY a driver opens
 * every connection with, and the OP_REPLY that answers it. Decoding is strict: anything malformed
 * throws a ProtocolError and the connection that sent it is closed.
 */
import { BSON, Long } from "bson";
import { DESERIALIZE_OPTIONS, type Doc } from "../bson-values.js";
import { HELLO_LIMITS } from "./command-executor.js";

export const OpCode = {
  Reply: 1,
  Query: 2004,
  Compressed: 2012,
  Msg: 2013,
} as const;

export const HEADER_BYTES = 16;

/** OP_MSG flag bits. */
export const MsgFlags = {
  checksumPresent: 1 << 0,
  moreToCome: 1 << 1,
  exhaustAllowed: 1 << 16,
} as const;

/** Required bits (0-15) a server must reject when it does not know them; only checksumPresent and moreToCome are defined. */
const KNOWN_REQUIRED_BITS = MsgFlags.checksumPresent | MsgFlags.moreToCome;

/** A command document (the body) may be 16 KiB over the document limit, as in mongod. */
const MAX_COMMAND_BYTES = HELLO_LIMITS.maxBsonObjectSize + 16 * 1024;

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
}

export interface MessageHeader {
  messageLength: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export function readHeader(buffer: Buffer): MessageHeader {
  return {
    messageLength: buffer.readInt32LE(0),
    requestId: buffer.readInt32LE(4),
    responseTo: buffer.readInt32LE(8),
    opCode: buffer.readInt32LE(12),
  };
}

/** A message length that cannot be honest: shorter than a header, or over the advertised maximum. */
export function checkMessageLength(length: number): void {
  if (length < HEADER_BYTES || length > HELLO_LIMITS.maxMessageSizeBytes) {
    throw new ProtocolError(`message length ${length} is invalid: min ${HEADER_BYTES}, max ${HELLO_LIMITS.maxMessageSizeBytes}`);
  }
}

export interface DecodedMsg {
  kind: "msg";
  flags: number;
  /** The body with every kind-1 document sequence merged in as an array under its identifier. */
  command: Doc;
}

export interface DecodedQuery {
  kind: "query";
  /** e.g. "admin.$cmd" */
  fullCollectionName: string;
  command: Doc;
}

/** Reads one whole message (header included). */
export function decodeMessage(message: Buffer): DecodedMsg | DecodedQuery {
  const header = readHeader(message);
  switch (header.opCode) {
    case OpCode.Msg:
      return decodeMsg(message);
    case OpCode.Query:
      return decodeQuery(message);
    default:
      throw new ProtocolError(`unsupported opCode ${header.opCode}`);
  }
}

function decodeMsg(message: Buffer): DecodedMsg {
  const flags = message.readUInt32LE(HEADER_BYTES);
  const unknownRequired = flags & 0xffff & ~KNOWN_REQUIRED_BITS;
  if (unknownRequired !== 0) throw new ProtocolError(`OP_MSG has unknown required flag bits ${unknownRequired}`);
  // The optional CRC-32C trailer is not verified: TCP on loopback already guards the bytes.
  const end = flags & MsgFlags.checksumPresent ? message.length - 4 : message.length;
  let offset = HEADER_BYTES + 4;
  let body: Doc | undefined;
  const sequences: [string, Doc[]][] = [];
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      if (body !== undefined) throw new ProtocolError("OP_MSG has more than one body section");
      const size = documentSize(message, offset, end);
      if (size > MAX_COMMAND_BYTES) throw new ProtocolError(`OP_MSG body of ${size} bytes exceeds the limit`);
      body = deserialize(message, offset, size);
      offset += size;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolError("OP_MSG document sequence is truncated");
      const sectionSize = message.readInt32LE(offset);
      const sectionEnd = offset + sectionSize;
      if (sectionSize < 5 || sectionEnd > end) throw new ProtocolError(`OP_MSG document sequence size ${sectionSize} is invalid`);
      const nameEnd = message.indexOf(0, offset + 4);
      if (nameEnd < 0 || nameEnd >= sectionEnd) throw new ProtocolError("OP_MSG document sequence identifier is not terminated");
      const identifier = message.toString("utf8", offset + 4, nameEnd);
      const documents: Doc[] = [];
      let cursor = nameEnd + 1;
      while (cursor < sectionEnd) {
        const size = documentSize(message, cursor, sectionEnd);
        documents.push(deserialize(message, cursor, size));
        cursor += size;
      }
      sequences.push([identifier, documents]);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`OP_MSG has unknown section kind ${kind}`);
    }
  }
  if (body === undefined) throw new ProtocolError("OP_MSG has no body section");
  for (const [identifier, documents] of sequences) {
    if (identifier in body) throw new ProtocolError(`OP_MSG field '${identifier}' is in both the body and a document sequence`);
    body[identifier] = documents;
  }
  return { kind: "msg", flags, command: body };
}

function decodeQuery(message: Buffer): DecodedQuery {
  let offset = HEADER_BYTES + 4; // flags
  const nameEnd = message.indexOf(0, offset);
  if (nameEnd < 0) throw new ProtocolError("OP_QUERY collection name is not terminated");
  const fullCollectionName = message.toString("utf8", offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = documentSize(message, offset, message.length);
  const query = deserialize(message, offset, size);
  // Legacy drivers may wrap the command with read preference: { $query: {...}, $readPreference }.
  const command = isDoc(query.$query) ? query.$query : query;
  return { kind: "query", fullCollectionName, command };
}

function isDoc(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function documentSize(buffer: Buffer, offset: number, end: number): number {
  if (offset + 5 > end) throw new ProtocolError("BSON document is truncated");
  const size = buffer.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolError(`BSON document size ${size} is invalid`);
  return size;
}

function deserialize(buffer: Buffer, offset: number, size: number): Doc {
  try {
    return BSON.deserialize(buffer.subarray(offset, offset + size), DESERIALIZE_OPTIONS) as Doc;
  } catch (error) {
    throw new ProtocolError(`invalid BSON: ${(error as Error).message}`, { cause: error });
  }
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(responseTo, 8);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}

function serialize(document: Doc): Buffer {
  const bytes = BSON.serialize(document, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An OP_MSG reply: flags 0 and one body section. */
export function encodeMsg(requestId: number, responseTo: number, reply: Doc): Buffer[] {
  const body = serialize(reply);
  const prefix = Buffer.alloc(5); // flagBits (0) and section kind 0
  return [header(HEADER_BYTES + prefix.length + body.length, requestId, responseTo, OpCode.Msg), prefix, body];
}

/** An OP_REPLY with one document: the answer to a legacy OP_QUERY. */
export function encodeReply(requestId: number, responseTo: number, reply: Doc): Buffer[] {
  const body = serialize(reply);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(Long.ZERO.toBigInt(), 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  return [header(HEADER_BYTES + fields.length + body.length, requestId, responseTo, OpCode.Reply), fields, body];
}

/** Builds an OP_MSG request: for tests and tools that speak the protocol without a driver. */
export function encodeMsgRequest(requestId: number, command: Doc, options: { flags?: number; sequences?: Record<string, Doc[]> } = {}): Buffer {
  const parts: Uint8Array[] = [];
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(options.flags ?? 0, 0);
  parts.push(flags, Buffer.from([0]), serialize(command));
  for (const [identifier, documents] of Object.entries(options.sequences ?? {})) {
    const name = Buffer.from(`${identifier}\0`, "utf8");
    const docs = documents.map(serialize);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + name.length + docs.reduce((sum, doc) => sum + doc.length, 0), 0);
    parts.push(Buffer.from([1]), size, name, ...docs);
  }
  const length = HEADER_BYTES + parts.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([header(length, requestId, 0, OpCode.Msg), ...parts]);
}
