/**
 * The TCP side: frames messages, runs each connection's commands one after another, and answers.
 * A connection that sends something malformed is closed with a log line; every other connection
 * and the server itself carry on.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Doc } from "../bson-values.js";
import { asCommandError, ErrorCodes } from "../errors.js";
import type { Logger } from "../logger.js";
import { HELLO_LIMITS, type CommandExecutor } from "./command-executor.js";
import { helloReply } from "./hello.js";
import {
  checkMessageLength,
  decodeMessage,
  encodeMsg,
  encodeReply,
  HEADER_BYTES,
  MsgFlags,
  ProtocolError,
  type DecodedMsg,
  type DecodedQuery,
} from "./messages.js";

export interface WireServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  executor: CommandExecutor;
  logger: Logger;
}

export interface WireServer {
  readonly host: string;
  readonly port: number;
  /** Stops listening, closes every connection and waits for in-flight commands. Safe to call twice. */
  close(): Promise<void>;
}

export async function startWireServer(options: WireServerOptions): Promise<WireServer> {
  const connections = new Set<Connection>();
  let nextConnectionId = 1;
  let nextRequestId = 1;
  const newRequestId = () => {
    nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
    return nextRequestId;
  };

  const server: Server = createServer({ noDelay: true }, (socket) => {
    const connection = new Connection(nextConnectionId++, socket, options, newRequestId);
    connections.add(connection);
    socket.once("close", () => {
      connections.delete(connection);
      options.executor.connectionClosed?.(connection.id);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => options.logger.error({ err: error }, "listening socket failed"));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;

  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.all([...connections].map((connection) => connection.close()));
        await stopped;
      })();
      return closing;
    },
  };
}

class Connection {
  #buffered: Buffer[] = [];
  #bufferedBytes = 0;
  /** Commands of one connection run in order, as mongod runs them. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  /** Set by close(): no new messages are read, the one in flight still gets its answer. */
  #draining = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly options: WireServerOptions,
    private readonly newRequestId: () => number,
  ) {
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("error", (error) => options.logger.debug({ err: error, connectionId: id }, "connection error"));
    socket.once("close", () => (this.#closed = true));
  }

  get #client(): string {
    return `${this.socket.remoteAddress ?? "unknown"}:${this.socket.remotePort ?? 0}`;
  }

  #receive(chunk: Buffer): void {
    if (this.#closed || this.#draining) return;
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    try {
      for (let message = this.#nextMessage(); message; message = this.#nextMessage()) this.#enqueue(message);
    } catch (error) {
      this.#abort(error);
    }
  }

  /** The next complete message, or undefined when more bytes are needed. */
  #nextMessage(): Buffer | undefined {
    if (this.#bufferedBytes < 4) return undefined;
    const pending = this.#buffered.length === 1 ? this.#buffered[0] : Buffer.concat(this.#buffered);
    this.#buffered = [pending];
    const length = pending.readInt32LE(0);
    checkMessageLength(length);
    if (pending.length < length) return undefined;
    const message = pending.subarray(0, length);
    const rest = pending.subarray(length);
    this.#buffered = rest.length > 0 ? [rest] : [];
    this.#bufferedBytes = rest.length;
    return message;
  }

  #enqueue(message: Buffer): void {
    if (message.length < HEADER_BYTES) throw new ProtocolError(`message of ${message.length} bytes is shorter than a header`);
    const requestId = message.readInt32LE(4);
    const decoded = decodeMessage(message);
    this.#queue = this.#queue.then(() => this.#handle(requestId, decoded)).catch((error: unknown) => this.#abort(error));
  }

  async #handle(requestId: number, message: DecodedMsg | DecodedQuery): Promise<void> {
    if (this.#closed) return;
    if (message.kind === "query") {
      const reply = await this.#executeLegacy(message);
      this.#write(encodeReply(this.newRequestId(), requestId, reply));
      return;
    }
    const reply = await this.#execute(message.command);
    // moreToCome: the client wants no answer (unacknowledged writes).
    if (message.flags & MsgFlags.moreToCome) return;
    this.#write(encodeReplyOrError(this.newRequestId(), requestId, reply));
  }

  /** OP_QUERY survives only as the opening handshake; anything else on it is refused as mongod 6+ does. */
  async #executeLegacy(message: DecodedQuery): Promise<Doc> {
    const name = Object.keys(message.command)[0]?.toLowerCase();
    if (message.fullCollectionName.endsWith(".$cmd") && (name === "ismaster" || name === "hello")) {
      return helloReply(this.id);
    }
    return {
      ok: 0,
      errmsg: "Unsupported OP_QUERY command: only the hello/isMaster handshake may use OP_QUERY",
      code: ErrorCodes.CommandNotSupported,
      codeName: "UnsupportedOpQueryCommand",
    };
  }

  async #execute(command: Doc): Promise<Doc> {
    const dbName = command.$db;
    if (typeof dbName !== "string" || dbName.length === 0) {
      return { ok: 0, errmsg: "OP_MSG requests require a $db argument", code: 40571, codeName: "Location40571" };
    }
    delete command.$db;
    try {
      return await this.options.executor.execute(dbName, command, { connectionId: this.id, client: this.#client });
    } catch (error) {
      const commandError = asCommandError(error);
      if (commandError.code === ErrorCodes.InternalError) {
        this.options.logger.error({ err: error, connectionId: this.id, command: Object.keys(command)[0] }, "command failed unexpectedly");
      }
      return commandError.toReply();
    }
  }

  #write(parts: Buffer[]): void {
    if (this.#closed) return;
    for (const part of parts) this.socket.write(part);
  }

  #abort(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.options.logger.warn(
      { connectionId: this.id, client: this.#client, err: error },
      error instanceof ProtocolError ? "closing connection after a malformed message" : "closing connection after an unexpected failure",
    );
    this.socket.destroy();
  }

  /** Lets the commands already received finish and answer, then closes. */
  async close(): Promise<void> {
    this.#draining = true;
    await this.#queue.catch(() => undefined);
    this.#closed = true;
    this.socket.destroy();
  }
}

/** A reply that cannot be encoded (over the size limit) becomes MongoDB's error for that, not a dropped connection. */
function encodeReplyOrError(requestId: number, responseTo: number, reply: Doc): Buffer[] {
  try {
    const parts = encodeMsg(requestId, responseTo, reply);
    const body = parts[2];
    if (body.length > HELLO_LIMITS.maxBsonObjectSize + 16 * 1024) throw new RangeError(`reply of ${body.length} bytes`);
    return parts;
  } catch (error) {
    return encodeMsg(requestId, responseTo, {
      ok: 0,
      errmsg: `BSONObj size: the reply is invalid or too large (${(error as Error).message})`,
      code: ErrorCodes.BSONObjectTooLarge,
      codeName: "BSONObjectTooLarge",
    });
  }
}
