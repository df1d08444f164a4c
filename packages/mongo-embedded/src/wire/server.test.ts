/**
 * The wire layer against raw sockets and the real driver, with a recording executor in place of
 * the commands: framing, the legacy handshake, document sequences, moreToCome, and what happens
 * to a connection that sends garbage.
 */
import { connect, type Socket } from "node:net";
import { BSON, Int32 } from "bson";
import { MongoClient } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Doc } from "../bson-values.js";
import { MongoCommandError } from "../errors.js";
import { silentLogger, type Logger } from "../logger.js";
import type { CommandExecutor } from "./command-executor.js";
import { helloReply } from "./hello.js";
import { encodeMsgRequest, HEADER_BYTES, MsgFlags, OpCode } from "./messages.js";
import { startWireServer, type WireServer } from "./server.js";

const received: { dbName: string; command: Doc }[] = [];
const warnings: string[] = [];
const logger: Logger = { ...silentLogger, warn: (_fields, message) => warnings.push(message) };

const executor: CommandExecutor = {
  async execute(dbName, command, context) {
    received.push({ dbName, command });
    const name = Object.keys(command)[0];
    if (name === "hello" || name === "isMaster" || name === "ismaster") return helloReply(context.connectionId);
    if (name === "fail") throw new MongoCommandError(59, "no such command: 'fail'");
    if (name === "insert") return { n: (command.documents as Doc[]).length, ok: 1 };
    return { ok: 1 };
  },
};

let server: WireServer;

beforeAll(async () => {
  server = await startWireServer({ host: "127.0.0.1", port: 0, executor, logger });
});

afterAll(async () => {
  await server.close();
});

function openSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Reads one whole reply message from the socket. */
function readMessage(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 4 && buffered.length >= buffered.readInt32LE(0)) {
        socket.off("data", onData);
        resolve(buffered.subarray(0, buffered.readInt32LE(0)));
      }
    };
    socket.on("data", onData);
    socket.once("close", () => reject(new Error("connection closed")));
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));
}

function msgBody(reply: Buffer): Doc {
  expect(reply.readInt32LE(12)).toBe(OpCode.Msg);
  return BSON.deserialize(reply.subarray(HEADER_BYTES + 5)) as Doc;
}

function legacyQuery(requestId: number, collection: string, query: Doc): Buffer {
  const name = Buffer.from(`${collection}\0`);
  const body = BSON.serialize(query);
  const length = HEADER_BYTES + 4 + name.length + 8 + body.length;
  const message = Buffer.alloc(length);
  message.writeInt32LE(length, 0);
  message.writeInt32LE(requestId, 4);
  message.writeInt32LE(OpCode.Query, 12);
  name.copy(message, HEADER_BYTES + 4);
  message.writeInt32LE(-1, HEADER_BYTES + 4 + name.length + 4);
  Buffer.from(body).copy(message, HEADER_BYTES + 4 + name.length + 8);
  return message;
}

describe("the handshake", () => {
  it("answers a legacy OP_QUERY isMaster with an OP_REPLY claiming MongoDB 7.0 wire versions", async () => {
    const socket = await openSocket();
    socket.write(legacyQuery(41, "admin.$cmd", { isMaster: 1, helloOk: true }));
    const reply = await readMessage(socket);
    expect(reply.readInt32LE(8)).toBe(41);
    expect(reply.readInt32LE(12)).toBe(OpCode.Reply);
    expect(reply.readInt32LE(HEADER_BYTES + 16)).toBe(1);
    const body = BSON.deserialize(reply.subarray(HEADER_BYTES + 20)) as Doc;
    expect(body).toMatchObject({ ok: 1, isWritablePrimary: true, helloOk: true, minWireVersion: 0, maxWireVersion: 21 });
    expect(body).not.toHaveProperty("topologyVersion");
    socket.destroy();
  });

  it("lets both driver generations connect and run commands", async () => {
    for (const Client of [MongoClient, MongoClient6]) {
      const client = await new Client(`mongodb://127.0.0.1:${server.port}/`, { serverSelectionTimeoutMS: 2000 }).connect();
      expect(await client.db("city").command({ ping: 1 })).toMatchObject({ ok: 1 });
      await expect(client.db("city").command({ fail: 1 })).rejects.toMatchObject({ code: 59 });
      await client.close();
    }
    expect(received.some((entry) => entry.dbName === "city" && "ping" in entry.command && !("$db" in entry.command))).toBe(true);
  });
});

describe("OP_MSG", () => {
  it("merges kind-1 document sequences into the command under their identifier", async () => {
    const socket = await openSocket();
    const documents = [{ _id: 1, name: "Центар" }, { _id: 2, name: "Јасика" }];
    socket.write(encodeMsgRequest(7, { insert: "districts", $db: "city" }, { sequences: { documents } }));
    const reply = msgBody(await readMessage(socket));
    expect(reply).toMatchObject({ n: 2 });
    const last = received.at(-1)!;
    expect(last.command.documents).toEqual(documents.map((doc) => ({ _id: new Int32(doc._id), name: doc.name })));
    socket.destroy();
  });

  it("sends no reply when the client sets moreToCome, and answers the next request", async () => {
    const socket = await openSocket();
    socket.write(encodeMsgRequest(8, { insert: "districts", $db: "city", documents: [{ _id: 3 }] }, { flags: MsgFlags.moreToCome }));
    socket.write(encodeMsgRequest(9, { ping: 1, $db: "admin" }));
    const reply = await readMessage(socket);
    expect(reply.readInt32LE(8)).toBe(9);
    socket.destroy();
  });

  it("answers a command without $db with an error, not a dropped connection", async () => {
    const socket = await openSocket();
    socket.write(encodeMsgRequest(10, { ping: 1 }));
    expect(msgBody(await readMessage(socket))).toMatchObject({ ok: 0, code: 40571 });
    socket.destroy();
  });
});

describe("malformed input", () => {
  const garbage: [string, () => Buffer][] = [
    ["an unknown opCode", () => Buffer.concat([header(20, 1, 9999), Buffer.alloc(4)])],
    ["a length over 48 MB", () => header(100_000_000, 1, OpCode.Msg)],
    ["a length shorter than a header", () => header(3, 1, OpCode.Msg)],
    ["invalid BSON in the body", () => {
      const message = encodeMsgRequest(1, { ping: 1, $db: "admin" });
      message.writeInt32LE(2_000, HEADER_BYTES + 5);
      return message;
    }],
    ["an unknown section kind", () => {
      const message = encodeMsgRequest(1, { ping: 1, $db: "admin" });
      message[HEADER_BYTES + 4] = 7;
      return message;
    }],
  ];

  it.each(garbage)("closes the connection that sends %s, logs it, and keeps serving others", async (_name, build) => {
    const healthy = await openSocket();
    const bad = await openSocket();
    const warningsBefore = warnings.length;
    bad.write(build());
    await closed(bad);
    expect(warnings.length).toBeGreaterThan(warningsBefore);
    healthy.write(encodeMsgRequest(11, { ping: 1, $db: "admin" }));
    expect(msgBody(await readMessage(healthy))).toMatchObject({ ok: 1 });
    healthy.destroy();
  });

  it("reassembles a message that arrives one byte at a time", async () => {
    const socket = await openSocket();
    const message = encodeMsgRequest(12, { ping: 1, $db: "admin" });
    const reply = readMessage(socket);
    for (const byte of message) socket.write(Buffer.from([byte]));
    expect((await reply).readInt32LE(8)).toBe(12);
    socket.destroy();
  });
});

function header(length: number, requestId: number, opCode: number): Buffer {
  const buffer = Buffer.alloc(HEADER_BYTES);
  buffer.writeInt32LE(length, 0);
  buffer.writeInt32LE(requestId, 4);
  buffer.writeInt32LE(opCode, 12);
  return buffer;
}
