/** The handshake reply: what a MongoDB 7.0 standalone says about itself. */
import { Int32 } from "bson";
import type { Doc } from "../bson-values.js";
import { HELLO_LIMITS } from "./command-executor.js";

/**
 * No `topologyVersion`: without it drivers poll instead of streaming hello over an exhaust
 * cursor, which a standalone does not need. `connectionId` is an int32, as mongod sends it.
 */
export function helloReply(connectionId: number): Doc {
  return {
    helloOk: true,
    ismaster: true,
    isWritablePrimary: true,
    maxBsonObjectSize: new Int32(HELLO_LIMITS.maxBsonObjectSize),
    maxMessageSizeBytes: new Int32(HELLO_LIMITS.maxMessageSizeBytes),
    maxWriteBatchSize: new Int32(HELLO_LIMITS.maxWriteBatchSize),
    localTime: new Date(),
    logicalSessionTimeoutMinutes: new Int32(HELLO_LIMITS.logicalSessionTimeoutMinutes),
    connectionId: new Int32(connectionId),
    minWireVersion: new Int32(HELLO_LIMITS.minWireVersion),
    maxWireVersion: new Int32(HELLO_LIMITS.maxWireVersion),
    readOnly: false,
    ok: 1,
  };
}
