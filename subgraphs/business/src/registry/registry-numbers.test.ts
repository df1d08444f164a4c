import { describe, expect, it } from "vitest";
import { registryNumberCheckDigit, registryNumberProblem, taxIdCheckDigit, taxIdProblem } from "./registry-numbers.js";

describe("matični broj (MB)", () => {
  it("accepts published numbers and the reference implementation's test vector", () => {
    for (const valid of ["66143627", "20084693", "17162543"]) expect(registryNumberProblem(valid), valid).toBeUndefined();
  });

  it("rejects a wrong check digit, naming the expected one", () => {
    expect(registryNumberProblem("66143628")).toMatch(/wrong check digit \(expected 7\)/);
    expect(registryNumberProblem("20084690")).toMatch(/expected 3/);
  });

  it("rejects wrong lengths and non-digits", () => {
    for (const invalid of ["6614362", "661436270", "6614362a", "", " 66143627"]) {
      expect(registryNumberProblem(invalid), invalid).toMatch(/exactly 8 digits/);
    }
  });

  it("maps remainder 0 to 0 and has no digit for remainder 1", () => {
    // 0000000 sums to 0 (→ 0); 1000000 sums to 2, weighted 2 on the leftmost digit (→ 9).
    expect(registryNumberCheckDigit("0000000")).toBe(0);
    expect(registryNumberCheckDigit("1000000")).toBe(9);
    // 0000006 · 2 = 12, remainder 1: no check digit exists, so no 8-digit number starting so is valid.
    expect(registryNumberCheckDigit("0000006")).toBeUndefined();
    for (let last = 0; last <= 9; last++) expect(registryNumberProblem(`0000006${last}`)).toMatch(/admit no check digit/);
  });
});

describe("PIB (ISO 7064 MOD 11,10)", () => {
  it("accepts python-stdnum's vector and published numbers", () => {
    for (const valid of ["101134702", "104052135", "100002887"]) expect(taxIdProblem(valid), valid).toBeUndefined();
    expect(taxIdCheckDigit("10113470")).toBe(2);
  });

  it("rejects every other last digit", () => {
    for (let last = 0; last <= 9; last++) {
      if (last === 2) continue;
      expect(taxIdProblem(`10113470${last}`)).toMatch(/wrong check digit \(expected 2\)/);
    }
  });

  it("rejects wrong lengths and non-digits", () => {
    for (const invalid of ["10113470", "1011347021", "10113470x", ""]) expect(taxIdProblem(invalid), invalid).toMatch(/exactly 9 digits/);
  });
});
