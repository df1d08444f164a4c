/** One request of an Open311 GeoReport v2 `requests.json` answer, as the specification describes it. */
import { z } from "zod";

// Servers send absent values as null, as "" or not at all: all three mean "none".
const blankToNull = (value: unknown) => (typeof value === "string" && value.trim() === "" ? null : value);
const optionalText = (max: number) =>
  z.preprocess(blankToNull, z.string("must be text").trim().max(max, `must be at most ${max} characters`).nullish());
const dateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with Z or an offset" }).transform((value) => new Date(value));
const optionalDateTime = z.preprocess(blankToNull, dateTime.nullish());
// GeoReport v2 gives coordinates as numbers, though some servers send numeric strings.
const coordinate = (min: number, max: number) =>
  z.preprocess(
    (value) => {
      const blank = blankToNull(value);
      return typeof blank === "string" && /^-?\d+(\.\d+)?$/.test(blank.trim()) ? Number(blank) : blank;
    },
    z.number("must be a number").min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`).nullish(),
  );

export const open311RequestSchema = z
  .object({
    service_request_id: z
      .union([z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters"), z.number().int().nonnegative()], "must be text or a whole number")
      .transform(String),
    status: z.string("must be open or closed").trim().toLowerCase().pipe(z.enum(["open", "closed"], "must be open or closed")),
    status_notes: optionalText(2000),
    service_name: optionalText(200),
    service_code: z.union([z.string().trim().min(1, "must not be empty").max(100, "must be at most 100 characters"), z.number()], "must be text").transform(String),
    description: optionalText(4000),
    agency_responsible: optionalText(200),
    requested_datetime: dateTime,
    updated_datetime: optionalDateTime,
    expected_datetime: optionalDateTime,
    address: optionalText(300),
    lat: coordinate(-90, 90),
    long: coordinate(-180, 180),
    media_url: z.preprocess(blankToNull, z.url({ protocol: /^https?$/, message: "must be an http(s) URL" }).max(2048, "must be at most 2048 characters").nullish()),
  })
  .superRefine((request, context) => {
    const hasLat = request.lat !== null && request.lat !== undefined;
    const hasLong = request.long !== null && request.long !== undefined;
    if (hasLat !== hasLong) context.addIssue({ code: "custom", path: [hasLat ? "long" : "lat"], message: "must be given with the other coordinate" });
    // 0,0 (in the Gulf of Guinea) is what a device without a fix reports.
    if (hasLat && hasLong && request.lat === 0 && request.long === 0) context.addIssue({ code: "custom", path: ["lat"], message: "is 0,0: no location" });
  });

export type Open311Request = z.output<typeof open311RequestSchema>;
