/**
 * Between the contact center's shapes and Open311's: categories become services (a category's
 * required fields become the service definition's attributes), a submission's parameters become
 * the contract's input, and a request becomes the public Open311 record (no personal data: the
 * contact details are never even asked for).
 */
import type { CategoryView, RequestView, SubmissionInput, SubmissionView } from "./contact-center-client.js";
import { OPEN311_CHANNEL } from "./contact-center-client.js";
import type { Open311Attribute, Open311Receipt, Open311Service, Open311ServiceDefinition, Open311ServiceRequest } from "./documents.js";
import { badParameter } from "./open311-error.js";
import type { SubmissionParameters } from "./parameters.js";

/** Open311's two states; everything not yet resolved, closed or rejected is open. */
export const OPEN_STATUSES = ["received", "assigned", "in-progress", "waiting-for-citizen"] as const;
export const CLOSED_STATUSES = ["resolved", "closed", "rejected"] as const;

export function open311StatusOf(status: string): "open" | "closed" {
  return (CLOSED_STATUSES as readonly string[]).includes(normalStatus(status)) ? "closed" : "open";
}

/** GraphQL enum values are written `IN_PROGRESS` or `in_progress`; the contract names them `in-progress`. */
function normalStatus(status: string): string {
  return status.toLowerCase().replaceAll("_", "-");
}

export function serviceOf(category: CategoryView): Open311Service {
  return {
    service_code: category.code,
    service_name: category.nameLatin,
    description: `${category.nameCyrillic}. ${slaText(category)}`,
    metadata: category.requiredFields.length > 0,
    type: "realtime",
    keywords: [category.nameCyrillic, category.nameLatin].join(", "),
    group: category.responsible.id,
  };
}

function slaText(category: CategoryView): string {
  return `First response within ${category.slaFirstResponseHours} h, resolution within ${category.slaResolutionHours} h.`;
}

interface RequiredFieldSpec {
  /** Where a client sends it: the standard parameter(s), or `attribute[code]`. */
  parameter: string;
  datatype_description: string;
  description: string;
}

// The contract's request fields (service-catalog REQUEST_FIELDS) as Open311 clients know them.
const REQUIRED_FIELD_SPECS: Readonly<Record<string, RequiredFieldSpec>> = {
  location: {
    parameter: "lat/long",
    datatype_description: 'WGS84 "latitude,longitude", e.g. "43.5800,21.3300"',
    description: "Where the problem is: send lat and long (or this attribute as latitude,longitude).",
  },
  address: {
    parameter: "address_string",
    datatype_description: "A street address in Kruševac",
    description: "The address of the problem: send address_string (or this attribute).",
  },
  "contact.name": {
    parameter: "first_name/last_name",
    datatype_description: "Your name",
    description: "Your name, so that the city can reach you: send first_name and last_name (or this attribute).",
  },
  "contact.email": {
    parameter: "email",
    datatype_description: "An e-mail address",
    description: "Your e-mail address: send email (or this attribute).",
  },
  "contact.phone": {
    parameter: "phone",
    datatype_description: "A phone number, e.g. +381 37 123 456",
    description: "Your phone number: send phone (or this attribute).",
  },
  attachments: {
    parameter: "media_url",
    datatype_description: "An http(s) URL of a photo or document",
    description: "A photo of the problem: send media_url (or this attribute).",
  },
};

export function serviceDefinitionOf(category: CategoryView): Open311ServiceDefinition {
  return {
    service_code: category.code,
    attributes: category.requiredFields.map((field, index): Open311Attribute => {
      const spec = REQUIRED_FIELD_SPECS[field];
      return {
        variable: true,
        code: field,
        datatype: "string",
        required: true,
        datatype_description: spec?.datatype_description ?? "",
        order: index + 1,
        description: spec?.description ?? `Required for this service: ${field}.`,
      };
    }),
  };
}

/**
 * The contract's submission input. A category's required field may come as its standard parameter or
 * as `attribute[field]`; a missing one is refused here, naming the parameter, before anything is written.
 */
export function submissionInputOf(parameters: SubmissionParameters, category: CategoryView): SubmissionInput {
  const attribute = (code: string) => parameters.attributes[code]?.[0];
  let lat = parameters.lat;
  let long = parameters.long;
  const locationAttribute = attribute("location");
  if (lat === undefined && locationAttribute !== undefined) {
    const match = /^\s*([+-]?\d+(?:\.\d+)?)\s*,\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(locationAttribute);
    if (match === null) throw badParameter("attribute[location]", 'must be "latitude,longitude"');
    [lat, long] = [Number(match[1]), Number(match[2])];
  }
  const address = parameters.address ?? attribute("address");
  const name = parameters.name ?? attribute("contact.name");
  const email = parameters.email ?? attribute("contact.email");
  const phone = parameters.phone ?? attribute("contact.phone");
  const attachments = [
    ...(parameters.mediaUrl === undefined ? [] : [parameters.mediaUrl]),
    ...(parameters.attributes.attachments ?? []),
  ];
  const present: Readonly<Record<string, boolean>> = {
    location: lat !== undefined,
    address: address !== undefined,
    "contact.name": name !== undefined,
    "contact.email": email !== undefined,
    "contact.phone": phone !== undefined,
    attachments: attachments.length > 0,
  };
  for (const field of category.requiredFields) {
    if (present[field] === false) {
      throw badParameter(REQUIRED_FIELD_SPECS[field]?.parameter ?? `attribute[${field}]`, `is required for service ${category.code}`);
    }
  }
  const contact = {
    ...(name === undefined ? {} : { name }),
    ...(email === undefined ? {} : { email }),
    ...(phone === undefined ? {} : { phone }),
  };
  return {
    categoryCode: category.code,
    // Open311 makes the description optional; the contract needs one, so a request without says what it is.
    description: parameters.description ?? category.nameLatin,
    ...(lat === undefined || long === undefined ? {} : { location: { type: "Point", coordinates: [long, lat] } }),
    ...(address === undefined ? {} : { address }),
    ...(Object.keys(contact).length === 0 ? {} : { contact }),
    attachments,
    channel: OPEN311_CHANNEL,
  };
}

export function receiptOf(submission: SubmissionView): Open311Receipt {
  // The contact center writes what to tell the citizen, including that the request was linked to an
  // open one nearby; the linked request's id is added so that an Open311 client can show it too.
  const linked = submission.duplicateOfTrackingCode;
  return {
    service_request_id: submission.trackingCode,
    service_notice: linked === undefined || submission.message.includes(linked) ? submission.message : `${submission.message} (${linked})`,
  };
}

export function serviceRequestOf(request: RequestView, categories: ReadonlyMap<string, CategoryView>): Open311ServiceRequest {
  const status = normalStatus(request.status);
  const [long, lat] = request.location?.coordinates ?? [];
  return {
    service_request_id: request.trackingCode,
    status: open311StatusOf(status),
    status_notes: status === "rejected" && request.rejectionReason ? `rejected: ${request.rejectionReason}` : status,
    service_name: categories.get(request.categoryCode)?.nameLatin,
    service_code: request.categoryCode,
    description: request.description ?? undefined,
    agency_responsible: request.assignee?.id,
    requested_datetime: isoDateTime(request.receivedAt)!,
    updated_datetime: isoDateTime(
      request.updatedAt ?? latest(request.receivedAt, request.resolvedAt, request.closedAt, ...(request.history ?? []).map((entry) => entry.at)),
    ),
    expected_datetime: isoDateTime(request.resolutionDueAt),
    address: request.address ?? undefined,
    lat,
    long,
    media_url: request.attachments?.[0],
  };
}

/** The public view has no updatedAt: its latest change stands for it. */
function latest(...values: (string | null | undefined)[]): string | undefined {
  const times = values.filter((value): value is string => typeof value === "string").map((value) => new Date(value));
  return times.length === 0 ? undefined : new Date(Math.max(...times.map((time) => time.getTime()))).toISOString();
}

/** ISO 8601 in UTC with the zone (`Z`), as the specification requires a zone. */
function isoDateTime(value: string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
