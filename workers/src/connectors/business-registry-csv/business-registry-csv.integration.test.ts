import { registryNumberCheckDigit, taxIdCheckDigit } from "@situation/business-subgraph";
import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectorHarness, type ConnectorHarness } from "../../test-support/connector-harness.js";
import { startStoreProcess, type StoreProcess } from "../../test-support/embedded-store-process.js";
import { startFeedServer, type FeedServer } from "../../test-support/feed-server.js";

const FIXTURE = readFileSync(new URL("./fixtures/apr-export.csv", import.meta.url), "utf8");
const CITY_HALL: [number, number] = [21.3336, 43.5801];
const businessWrites = (harness: ConnectorHarness) => harness.writes.business.filter((write) => write.endsWith(":businesses"));

describe("the business-registry-csv connector (real Redis, embedded store, local HTTP export)", () => {
  let harness: ConnectorHarness;
  let feed: FeedServer;

  beforeAll(async () => {
    harness = await startConnectorHarness();
    feed = await startFeedServer({ status: 200, body: FIXTURE }, "/apr/export.csv");
    await harness.createSource({ id: "apr", kind: "business-registry-csv", url: feed.url, options: { newBusinessLocation: CITY_HALL }, target: "business.businesses" });
  });

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
  });

  const businesses = () => harness.monitoredClient.db(harness.databases.business).collection("businesses").find({}).sort({ registryNumber: 1 }).toArray();

  it("upserts the valid rows by registry number, quarantines the bad ones naming the field, and a re-run writes nothing", async () => {
    const result = await harness.runNow("apr");
    expect(result).toMatchObject({ status: "succeeded", fetched: 9, inserted: 3, updated: 0, unchanged: 0, quarantined: 5 });
    expect(result.warnings).toContain("1 companies struck off the registry were not imported");
    expect(result.rejected.map(({ line, field }) => [line, field])).toEqual([
      [5, "registryNumber"],
      [6, "taxId"],
      [8, "registryNumber"],
      [9, "activityCode"],
      [10, "(row)"],
    ]);
    expect(result.rejected[2]!.reason).toBe("duplicates the row at line 2");
    const stored = await businesses();
    expect(stored.map((business) => business.registryNumber)).toEqual(["00123404", "17123408", "17123416"]);
    expect(stored[1]).toMatchObject({
      _id: "mb-17123408",
      name: "ПРИВРЕДНО ДРУШТВО ЗА ТРГОВИНУ ЖУПА ДОО КРУШЕВАЦ",
      tradingName: "ЖУПА ДОО",
      taxId: "101234501",
      activity: { code: "47.11" },
      address: { street: "Видовданска", number: "12", city: "Крушевац" },
      location: { type: "Point", coordinates: CITY_HALL },
    });
    expect(stored[2]).toMatchObject({ name: 'АПОТЕКА "ЗДРАВЉЕ" ДОО КРУШЕВАЦ', address: { number: "bb" } });

    harness.resetWrites();
    const again = await harness.runNow("apr");
    expect(again).toMatchObject({ status: "succeeded", inserted: 0, updated: 0, unchanged: 3, quarantined: 5 });
    expect(businessWrites(harness)).toEqual([]);
  });

  it("updates a business whose registry entry changed, keeping what the business set itself", async () => {
    const business = harness.monitoredClient.db(harness.databases.business).collection<{ _id: string }>("businesses");
    await business.updateOne({ _id: "mb-17123416" }, { $set: { location: { type: "Point", coordinates: [21.331, 43.579] }, contacts: { phone: "+381 37 123 456" } } });
    feed.reply({ status: 200, body: FIXTURE.replace("Трг косовских јунака бб", "Трг косовских јунака 5") });
    const result = await harness.runNow("apr");
    expect(result).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
    expect(await business.findOne({ _id: "mb-17123416" })).toMatchObject({
      address: { street: "Трг косовских јунака", number: "5" },
      location: { coordinates: [21.331, 43.579] },
      contacts: { phone: "+381 37 123 456" },
    });
  });

  it("reads a Latin, comma-separated export with a column map, and refuses an export without the required columns", async () => {
    await harness.createSource({
      id: "apr-latin",
      kind: "business-registry-csv",
      url: feed.url,
      options: { newBusinessLocation: CITY_HALL, columns: { name: "Firma", city: "Grad" } },
      target: "business.businesses",
    });
    feed.reply({ status: 200, body: "MB,PIB,Firma,Šifra delatnosti,Adresa,Grad\r\n17123408,101234501,\"Zupa, d.o.o.\",4711,Vidovdanska 12,Kruševac\r\n" });
    expect(await harness.runNow("apr-latin")).toMatchObject({ status: "succeeded", fetched: 1, updated: 1, quarantined: 0 });
    expect((await businesses()).find((business) => business.registryNumber === "17123408")).toMatchObject({ name: "Zupa, d.o.o.", address: { city: "Kruševac" } });

    feed.reply({ status: 200, body: "Naziv;Adresa\nFirma;Ulica 1\n" });
    await expect(harness.runNow("apr-latin")).rejects.toThrow(/lacks the column\(s\) Firma, Grad, registryNumber, taxId, activityCode;/);
  });

  it("lands the rows before the cut of a truncated export and quarantines bytes that are not UTF-8", async () => {
    const cut = FIXTURE.slice(0, FIXTURE.indexOf("123404;") + 30);
    feed.reply({ status: 200, body: cut });
    const truncated = await harness.runNow("apr");
    expect(truncated).toMatchObject({ status: "succeeded", fetched: 3, quarantined: 1 });
    expect(truncated.warnings).toContain("the last row is cut short (a truncated file?)");

    const bytes = Buffer.from(FIXTURE, "utf8");
    const at = bytes.indexOf(Buffer.from("ПЕКАРА"));
    bytes[at] = 0xff;
    feed.reply({ status: 200, body: new Uint8Array(bytes) });
    const broken = await harness.runNow("apr");
    expect(broken.rejected.find(({ field }) => field === "(encoding)")).toMatchObject({ line: 4, externalId: "123404" });
    expect(broken.warnings).toContain("the body is not valid UTF-8: rows with bytes that are not were quarantined");
    expect((await businesses()).find((business) => business.registryNumber === "00123404")).toMatchObject({ name: "ПЕКАРА КРУНА МИЛАН ПЕТРОВИЋ ПР КРУШЕВАЦ" });
  });
});

describe("the business-registry-csv connector, a body over maxBytes while streaming", () => {
  it("fails the run as permanent instead of waiting for rows that never come", async () => {
    const harness = await startConnectorHarness();
    const rows = FIXTURE.split("\n");
    // Chunked, no Content-Length: the limit is only found while reading.
    const feed = await startFeedServer((response) => {
      response.writeHead(200, { "content-type": "text/csv" });
      response.write(rows.slice(0, 3).join("\n") + "\n");
      setTimeout(() => response.end("x".repeat(4096)), 50);
    });
    try {
      await harness.createSource({ id: "apr-limited", kind: "business-registry-csv", url: feed.url, options: { newBusinessLocation: CITY_HALL, maxBytes: 2048 }, target: "business.businesses" });
      await expect(harness.runNow("apr-limited", 30_000)).rejects.toThrow(/over the limit of 2048 bytes/);
      expect((await harness.worker.city.syncSources.findById("apr-limited"))!.lastRun).toMatchObject({ status: "failed" });
    } finally {
      await feed.close();
      await harness.close();
    }
  });
});

describe("the business-registry-csv connector on 30,000 rows (store in a child process)", () => {
  let store: StoreProcess;
  let harness: ConnectorHarness;
  let feed: FeedServer;
  const ROWS = Number(process.env.REGISTRY_TEST_ROWS ?? 30_000);

  beforeAll(async () => {
    store = await startStoreProcess();
    harness = await startConnectorHarness({ mongoUri: store.uri });
  }, 60_000);

  afterAll(async () => {
    await feed?.close();
    await harness?.close();
    await store?.close();
  }, 120_000);

  function registryExport(rows: number, renamed: ReadonlySet<number> = new Set()): string {
    // The columns of a full APR export, most of which the connector does not read.
    const lines = [
      "Матични број;ПИБ;Пословно име;Скраћено пословно име;Правна форма;Датум оснивања;Шифра делатности;Назив делатности;Адреса;Поштански број;Место;Општина;Величина;Број запослених;Телефон;Е-пошта;Статус",
    ];
    let candidate = 1_000_000;
    for (let index = 0; index < rows; index++) {
      let check: number | undefined;
      do {
        candidate += 1;
        check = registryNumberCheckDigit(String(candidate));
      } while (check === undefined);
      const taxBase = String(10_000_000 + index);
      const name = `${renamed.has(index) ? "НОВО ИМЕ " : ""}ПРИВРЕДНО ДРУШТВО БРОЈ ${index} ЗА ТРГОВИНУ И УСЛУГЕ ДОО КРУШЕВАЦ`;
      lines.push(
        `${candidate}${check};${taxBase}${taxIdCheckDigit(taxBase)};${name};ДРУШТВО ${index};Друштво са ограниченом одговорношћу;${String(1 + (index % 28)).padStart(2, "0")}.03.2011;4711;` +
          `Трговина на мало у неспецијализованим продавницама, претежно храном, пићима и дуваном;Видовданска ${index % 200};37000;Крушевац;Град Крушевац;Микро;${index % 50};+381 37 ${String(100_000 + index)};kontakt${index}@firma-krusevac.example;Активан`,
      );
    }
    return `${lines.join("\n")}\n`;
  }

  it("streams the export in batches: heap growth stays far under the file's size, and a re-run counts updates and unchanged rows", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const body = Buffer.from(registryExport(ROWS), "utf8");
    feed = await startFeedServer({ status: 200, body: new Uint8Array(body) }, "/apr/full.csv");
    await harness.createSource({ id: "apr-full", kind: "business-registry-csv", url: feed.url, options: { newBusinessLocation: CITY_HALL }, target: "business.businesses" });
    // A first small run loads and warms what any first run does (modules, connections, the queue), so
    // that the measured run's growth is the import's own. Its 100 rows are the first of the full export.
    feed.reply({ status: 200, body: registryExport(100) });
    expect(await harness.runNow("apr-full")).toMatchObject({ inserted: 100 });
    feed.reply({ status: 200, body: new Uint8Array(body) });

    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    // Live heap only: collected before each sample, so garbage between collections does not count.
    const sampler = setInterval(() => {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 1_000);
    const started = Date.now();
    let first;
    try {
      first = await harness.runNow("apr-full", 540_000);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const growth = peak - baseline;
    console.info(`registry import: ${ROWS} rows, ${(body.byteLength / 1048576).toFixed(1)} MiB in ${seconds.toFixed(1)} s; live heap growth at most ${(growth / 1048576).toFixed(1)} MiB`);
    expect(first).toMatchObject({ status: "succeeded", fetched: ROWS, inserted: ROWS - 100, updated: 0, unchanged: 100, quarantined: 0 });
    // What grows with the rows is one small integer per registry number (duplicate detection); a batch of rows is the rest.
    expect(growth).toBeLessThan(body.byteLength / 2);

    // 150 companies renamed in the registry since: exactly those are written.
    const renamed = new Set(Array.from({ length: 150 }, (_, index) => index * 200 + 7));
    feed.reply({ status: 200, body: registryExport(ROWS, renamed) });
    harness.resetWrites();
    const rerunStarted = Date.now();
    const second = await harness.runNow("apr-full", 300_000);
    console.info(`registry re-run: ${ROWS} rows, 150 changed, in ${((Date.now() - rerunStarted) / 1000).toFixed(1)} s; ${harness.writes.business.length} write commands`);
    expect(second).toMatchObject({ status: "succeeded", fetched: ROWS, inserted: 0, updated: 150, unchanged: ROWS - 150 });
    // Only the batches with a renamed company wrote, one bulk write each.
    expect(harness.writes.business.filter((write) => write.endsWith(":businesses")).length).toBeLessThanOrEqual(Math.ceil(ROWS / 1_000));
    expect(await harness.monitoredClient.db(harness.databases.business).collection("businesses").countDocuments({})).toBe(ROWS);
  }, 900_000);
});
