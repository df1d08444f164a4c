import { OutageStatus, ServiceKind, toMultiPolygon, type OutageFeedRecord } from "@situation/services-subgraph";
import { z } from "zod";

/** The columns of the outage CSV feed, in the order the README documents; extra columns are ignored. */
export const OUTAGE_CSV_COLUMNS = [
  "external_id",
  "provider_id",
  "kind",
  "planned",
  "starts_at",
  "expected_end_at",
  "status",
  "description",
  "area_geojson",
] as const;

export type OutageCsvColumn = (typeof OUTAGE_CSV_COLUMNS)[number];

const PLANNED_VALUES: Record<string, boolean> = { true: true, yes: true, "1": true, false: false, no: false, "0": false };

const lowerCase = (value: unknown) => (typeof value === "string" ? value.trim().toLowerCase() : value);
const emptyToNull = (value: unknown) => (typeof value === "string" && value.trim() === "" ? null : value);

// An instant needs its offset: a bare local time would mean different things on different servers.
const instant = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time with Z or an offset, e.g. 2025-03-01T08:00:00+01:00" })
  .transform((text) => new Date(text));

/** One CSV row, all cells as text, validated and turned into the record the repository stores. */
export const outageCsvRowSchema = z
  .object({
    external_id: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
    provider_id: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
    kind: z.preprocess(lowerCase, z.enum(ServiceKind, { message: `must be one of ${Object.values(ServiceKind).join(", ")}` })),
    planned: z.preprocess(
      lowerCase,
      z
        .string()
        .refine((value) => value in PLANNED_VALUES, { message: "must be true or false (or yes/no, 1/0)" })
        .transform((value) => PLANNED_VALUES[value] as boolean),
    ),
    starts_at: z.string().trim().pipe(instant),
    expected_end_at: z.preprocess(emptyToNull, z.string().trim().pipe(instant).nullable()),
    status: z.preprocess(lowerCase, z.enum(OutageStatus, { message: `must be one of ${Object.values(OutageStatus).join(", ")}` })),
    description: z.string().trim().min(1, "is required").max(2000, "must be at most 2000 characters"),
    area_geojson: z.string().transform((text, context) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        context.addIssue({ code: "custom", message: "is not valid JSON" });
        return z.NEVER;
      }
      const area = toMultiPolygon(value);
      if (typeof area === "string") {
        context.addIssue({ code: "custom", message: area });
        return z.NEVER;
      }
      return area;
    }),
  })
  .superRefine((row, context) => {
    // zod 4 runs this even when a field failed above; compare only two real dates.
    const { starts_at: startsAt, expected_end_at: expectedEndAt } = row as { starts_at: unknown; expected_end_at: unknown };
    if (startsAt instanceof Date && expectedEndAt instanceof Date && expectedEndAt.getTime() <= startsAt.getTime()) {
      context.addIssue({ code: "custom", path: ["expected_end_at"], message: "must be after starts_at" });
    }
  })
  .transform(
    (row): OutageFeedRecord => ({
      externalId: row.external_id,
      providerId: row.provider_id,
      kind: row.kind,
      planned: row.planned,
      startsAt: row.starts_at,
      expectedEndAt: row.expected_end_at,
      status: row.status,
      description: row.description,
      affectedArea: row.area_geojson,
    }),
  );
