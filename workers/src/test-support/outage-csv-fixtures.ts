import { readFileSync } from "node:fs";

/** The fixture feed: six valid outages (lines 2–7), then one bad row per kind of mistake (lines 8–14). */
export const FIXTURE_FEED = readFileSync(new URL("../connectors/outage-csv/fixtures/outages.csv", import.meta.url), "utf8");
export const FIXTURE_VALID_IDS = ["VOD-2025-0141", "ED-2025-1177", "TOP-2025-0032", "JKP-2025-0210", "GP-2025-0007", "VOD-2025-0139"];
/** Every external id the fixture lists, valid or not (a truncated row has none). */
export const FIXTURE_LISTED_IDS = [...FIXTURE_VALID_IDS, "VOD-BAD-KIND", "VOD-BAD-DATE", "VOD-BAD-AREA", "VOD-UNKNOWN-PROVIDER", "VOD-END-BEFORE-START", "SHORT-ROW"];
