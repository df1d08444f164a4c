import { Writable } from "node:stream";
import { createLogger, type Logger } from "@situation/platform";

/** A real pino logger whose JSON lines the test can read. */
export function createCapturingLogger(name: string): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const captured: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      captured.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      callback();
    },
  });
  const logger = createLogger({ logLevel: "debug" }, name, destination);
  return { logger, lines: () => captured.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
