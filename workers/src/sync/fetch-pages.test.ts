import { describe, expect, it } from "vitest";
import type { ConnectorPaging, ParseResult } from "./connector.js";
import { fetchPages, mergePages } from "./fetch-pages.js";
import { FeedRejectedError } from "./sync-errors.js";

/** Pages `?page=N` of a fake API whose bodies are given; the next page is N+1 while there is one. */
function api(bodies: string[]) {
  const requested: string[] = [];
  const fetch = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    requested.push(url.search);
    return new Response(bodies[Number(url.searchParams.get("page"))] ?? "[]", { status: 200, headers: { "x-pages": String(bodies.length) } });
  }) as typeof globalThis.fetch;
  const paging: ConnectorPaging = {
    first: (url) => `${url}?page=0`,
    next: (previous) => {
      const page = Number(new URL(previous.url).searchParams.get("page")) + 1;
      return page < Number(previous.headers["x-pages"]) ? previous.url.replace(/page=\d+/, `page=${page}`) : null;
    },
    maxPages: (options) => (options.maxPages as number | undefined) ?? 10,
  };
  return { fetch, paging, requested };
}

describe("fetchPages", () => {
  it("walks every page through the rate limit and hashes them together", async () => {
    const { fetch, paging, requested } = api(["[1]", "[2]", "[3]"]);
    const acquired: string[] = [];
    const first = await fetchPages("http://api.test/items", paging, {}, { fetch, maxBytes: 1_000 }, async (url) => void acquired.push(url));
    expect(requested).toEqual(["?page=0", "?page=1", "?page=2"]);
    expect(acquired).toHaveLength(3);
    expect(first).toMatchObject({ bytes: 9, complete: true });
    const again = await fetchPages("http://api.test/items", paging, {}, { fetch, maxBytes: 1_000 }, async () => {});
    expect(again.bodyHash).toBe(first.bodyHash);
    const changed = await fetchPages("http://api.test/items", api(["[1]", "[2]", "[4]"]).paging, {}, { fetch: api(["[1]", "[2]", "[4]"]).fetch, maxBytes: 1_000 }, async () => {});
    expect(changed.bodyHash).not.toBe(first.bodyHash);
  });

  it("stops at maxPages as incomplete, counts maxBytes over all pages, and refuses a page pointing back", async () => {
    const { fetch, paging } = api(["[1]", "[2]", "[3]"]);
    expect(await fetchPages("http://api.test/items", paging, { maxPages: 2 }, { fetch, maxBytes: 1_000 }, async () => {})).toMatchObject({ complete: false, bytes: 6 });
    await expect(fetchPages("http://api.test/items", paging, {}, { fetch, maxBytes: 7 }, async () => {})).rejects.toThrow(/the first 3 pages are over the limit of 7 bytes together/);
    const looping: ConnectorPaging = { ...paging, next: (previous) => previous.url };
    await expect(fetchPages("http://api.test/items", looping, {}, { fetch, maxBytes: 1_000 }, async () => {})).rejects.toThrow(FeedRejectedError);
  });
});

describe("mergePages", () => {
  const page = (ids: string[], complete = true): ParseResult<string> => ({
    total: ids.length,
    records: ids.map((id, index) => ({ line: index + 1, externalId: id, record: id, raw: id })),
    rejects: [],
    listedIds: new Set(ids),
    complete,
    warnings: complete ? [] : ["cut"],
  });

  it("concatenates pages, quarantines an id a later page repeats, and is complete only if every page is", () => {
    const merged = mergePages([page(["a", "b"]), page(["b", "c"], false)]);
    expect(merged.records.map(({ externalId }) => externalId)).toEqual(["a", "b", "c"]);
    expect(merged.rejects).toEqual([expect.objectContaining({ externalId: "b", field: "id", reason: "duplicates a record of page 1" })]);
    expect(merged).toMatchObject({ total: 4, complete: false, warnings: ["page 2: cut"] });
    expect([...merged.listedIds]).toEqual(["a", "b", "c"]);
  });
});
