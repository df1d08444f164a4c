import { UserInputError } from "@situation/platform";
import { describe, expect, it } from "vitest";
import { checkPageRequest, decodeCursor, encodeCursor } from "./business-page.js";

function fieldOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return (error as UserInputError).field;
  }
  throw new Error("expected a UserInputError");
}

describe("business pagination", () => {
  it("round-trips cursors", () => {
    expect(decodeCursor(encodeCursor("business-0042"))).toBe("business-0042");
  });

  it("defaults to 20 and accepts up to 100", () => {
    expect(checkPageRequest({})).toEqual({ first: 20, afterId: undefined });
    expect(checkPageRequest({ first: 100, after: encodeCursor("x") })).toEqual({ first: 100, afterId: "x" });
  });

  it("names the argument that is wrong", () => {
    expect(fieldOf(() => checkPageRequest({ first: 0 }))).toBe("first");
    expect(fieldOf(() => checkPageRequest({ first: 101 }))).toBe("first");
    expect(fieldOf(() => checkPageRequest({ first: 2.5 }))).toBe("first");
    expect(fieldOf(() => checkPageRequest({ after: "not a cursor!" }))).toBe("after");
    expect(fieldOf(() => checkPageRequest({ after: Buffer.from("outage:1").toString("base64url") }))).toBe("after");
    expect(fieldOf(() => checkPageRequest({ after: "" }))).toBe("after");
  });
});
