/**
 * Checks that a response body is the complete, error-free answer. Gateways answer the same operation
 * with the same bytes, so a body identical to one already verified passes with a string comparison;
 * any other body is parsed and compared field by field (object keys in any order, lists in order),
 * which keeps the load generator cheap without skipping a single response.
 */

const MAX_VERIFIED_VARIANTS = 8;
const SAMPLE_CHARS = 600;

export interface ResponseCheck {
  /** True when the body is exactly the expected answer; counts and remembers failures. */
  verify(body: string): boolean;
  readonly failures: number;
  /** The first failure: where it differed and the start of the body. */
  readonly firstFailure: string | undefined;
}

export function createResponseCheck(expected: unknown): ResponseCheck {
  const verified = new Set<string>([JSON.stringify(expected)]);
  let failures = 0;
  let firstFailure: string | undefined;
  return {
    verify(body) {
      if (verified.has(body)) return true;
      const difference = differenceOf(body, expected);
      if (difference === undefined) {
        if (verified.size < MAX_VERIFIED_VARIANTS) verified.add(body);
        return true;
      }
      failures += 1;
      firstFailure ??= `${difference}; body: ${body.length > SAMPLE_CHARS ? `${body.slice(0, SAMPLE_CHARS)}…` : body}`;
      return false;
    },
    get failures() {
      return failures;
    },
    get firstFailure() {
      return firstFailure;
    },
  };
}

/** Where `body` differs from `expected`, or undefined when it is the same value. */
export function differenceOf(body: string, expected: unknown): string | undefined {
  let actual: unknown;
  try {
    actual = JSON.parse(body);
  } catch {
    return "the body is not JSON";
  }
  return firstDifference(actual, expected, "$");
}

function firstDifference(actual: unknown, expected: unknown, path: string): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path} is not a list`;
    if (actual.length !== expected.length) return `${path} has ${actual.length} items instead of ${expected.length}`;
    for (let index = 0; index < expected.length; index += 1) {
      const difference = firstDifference(actual[index], expected[index], `${path}[${index}]`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return `${path} is not an object`;
    const actualRecord = actual as Record<string, unknown>;
    const expectedRecord = expected as Record<string, unknown>;
    const extra = Object.keys(actualRecord).find((key) => !(key in expectedRecord));
    if (extra !== undefined) return `${path}.${extra} is unexpected${extra === "errors" ? ` (${JSON.stringify(actualRecord.errors).slice(0, 300)})` : ""}`;
    for (const key of Object.keys(expectedRecord)) {
      if (!(key in actualRecord)) return `${path}.${key} is missing`;
      const difference = firstDifference(actualRecord[key], expectedRecord[key], `${path}.${key}`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  return `${path} is ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`;
}
