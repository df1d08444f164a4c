/**
 * The logging surface the server needs: pino's call shape, so the platform passes its pino logger in.
 * Without one, warnings and errors go to stderr as JSON lines.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const levels = ["debug", "info", "warn", "error"] as const;
type Level = (typeof levels)[number];

export function createStderrLogger(minimum: Level = "warn"): Logger {
  const threshold = levels.indexOf(minimum);
  const write = (level: Level) => (fields: object, message: string) => {
    if (levels.indexOf(level) < threshold) return;
    process.stderr.write(
      `${JSON.stringify({ level, time: new Date().toISOString(), name: "mongo-embedded", msg: message, ...serializable(fields) })}\n`,
    );
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function serializable(fields: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
  }
  return out;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
