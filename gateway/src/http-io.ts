/** Small helpers for the gateway's `node:http` server: bounded body reading and JSON answers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { errorCatalog, PlatformError, type ErrorCode } from "@situation/platform";

/**
 * GraphQL operations are small; a bigger body is a mistake or an attack, refused before parsing. The
 * gateway's GraphQL endpoint takes its limit from GATEWAY_MAX_BODY_BYTES; this is the default.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

export class PayloadTooLargeError extends Error {
  readonly maxBytes: number;

  constructor(maxBytes: number = MAX_BODY_BYTES) {
    super(`the request body exceeds ${maxBytes} bytes`);
    this.name = "PayloadTooLargeError";
    this.maxBytes = maxBytes;
  }
}

export async function readBody(request: IncomingMessage, maxBytes: number = MAX_BODY_BYTES): Promise<string> {
  // A declared length over the limit is refused before a byte is read.
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PayloadTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader("content-type", "application/json; charset=utf-8");
  response.setHeader("content-length", Buffer.byteLength(text));
  response.end(text);
}

/** The GraphQL-shaped error answer for failures before the operation runs (authentication, body). */
export function sendError(
  response: ServerResponse,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  status: number = errorCatalog[code].httpStatus,
): void {
  sendJson(response, status, { errors: [{ message, extensions: { code, ...extra } }] });
}

export function sendPlatformError(response: ServerResponse, error: PlatformError): void {
  sendJson(response, error.httpStatus, { errors: [{ message: error.message, extensions: error.toExtensions() }] });
}
