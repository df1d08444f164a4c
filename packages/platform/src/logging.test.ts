import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, REQUEST_ID_HEADER } from "./logging.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, destination };
}

describe("createLogger", () => {
  it("writes JSON lines with the logger's name at the configured level", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ logLevel: "warn" }, "logging-test", destination);
    logger.info("not written");
    logger.warn({ requestId: "r-1" }, "written");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: "logging-test", msg: "written", requestId: "r-1", level: 40 });
  });

  it("never writes credentials from logged headers", () => {
    const { lines, destination } = capture();
    const logger = createLogger({ logLevel: "info" }, "logging-test", destination);
    logger.info({ headers: { authorization: "Bearer secret-token", "x-situation-identity": "signed", [REQUEST_ID_HEADER]: "r-2" } }, "request");
    expect(JSON.stringify(lines[0])).not.toContain("secret-token");
    expect(JSON.stringify(lines[0])).not.toContain("signed");
    expect(JSON.stringify(lines[0])).toContain("r-2");
  });
});
