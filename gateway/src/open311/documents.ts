/**
 * The documents Open311 GeoReport v2 answers with, and how each is written as JSON and as XML. Field
 * and element names are the specification's; the two formats carry the same fields in the same order.
 */
import { element, fieldsOf, renderXmlDocument, type XmlElement } from "./xml.js";

export type Open311Format = "json" | "xml";

/** GET services: one entry of the service list. */
export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  /** True when the service definition lists attributes the client must ask for. */
  metadata: boolean;
  /** Requests are created at once and get their id in the answer. */
  type: "realtime" | "batch" | "blackbox";
  keywords: string;
  group: string;
}

export interface Open311Attribute {
  /** True: the client must ask the user; false: text shown only as information. */
  variable: boolean;
  code: string;
  datatype: "string" | "number" | "datetime" | "text" | "singlevaluelist" | "multivaluelist";
  required: boolean;
  datatype_description: string;
  /** 1 is shown first. */
  order: number;
  description: string;
  values?: readonly { key: string; name: string }[];
}

/** GET services/{service_code}. */
export interface Open311ServiceDefinition {
  service_code: string;
  attributes: readonly Open311Attribute[];
}

/** GET requests and GET requests/{id}: a request as anyone may see it, without personal data. */
export interface Open311ServiceRequest {
  service_request_id: string;
  status: "open" | "closed";
  status_notes?: string | undefined;
  service_name?: string | undefined;
  service_code: string;
  description?: string | undefined;
  agency_responsible?: string | undefined;
  service_notice?: string | undefined;
  requested_datetime: string;
  updated_datetime?: string | undefined;
  expected_datetime?: string | undefined;
  address?: string | undefined;
  lat?: number | undefined;
  long?: number | undefined;
  media_url?: string | undefined;
}

/** POST requests: what the client gets back for a request it filed. */
export interface Open311Receipt {
  service_request_id: string;
  service_notice?: string | undefined;
}

/** GET tokens/{token}. */
export interface Open311TokenAnswer {
  service_request_id: string;
  token: string;
}

export interface Open311ErrorEntry {
  /** The HTTP status, as the specification's examples use it. */
  code: number;
  description: string;
}

export type Open311Document =
  | { kind: "services"; services: readonly Open311Service[] }
  | { kind: "service-definition"; definition: Open311ServiceDefinition }
  | { kind: "requests"; requests: readonly Open311ServiceRequest[] }
  | { kind: "receipts"; receipts: readonly Open311Receipt[] }
  | { kind: "tokens"; tokens: readonly Open311TokenAnswer[] }
  | { kind: "errors"; errors: readonly Open311ErrorEntry[] };

export interface RenderedDocument {
  contentType: string;
  body: string;
}

export const CONTENT_TYPES: Readonly<Record<Open311Format, string>> = {
  json: "application/json; charset=utf-8",
  // The specification names text/xml for the XML format.
  xml: "text/xml; charset=utf-8",
};

export function renderDocument(document: Open311Document, format: Open311Format): RenderedDocument {
  const body = format === "json" ? JSON.stringify(jsonOf(document)) : renderXmlDocument(xmlOf(document));
  return { contentType: CONTENT_TYPES[format], body };
}

function jsonOf(document: Open311Document): unknown {
  switch (document.kind) {
    case "services":
      return document.services;
    case "service-definition":
      return document.definition;
    case "requests":
      return document.requests.map(withoutAbsent);
    case "receipts":
      return document.receipts.map(withoutAbsent);
    case "tokens":
      return document.tokens;
    case "errors":
      return document.errors;
    default:
      return unreachable(document);
  }
}

function xmlOf(document: Open311Document): XmlElement {
  switch (document.kind) {
    case "services":
      return element("services", document.services.map((service) => element("service", fieldsOf({ ...service }))));
    case "service-definition":
      return element("service_definition", [
        element("service_code", document.definition.service_code),
        element("attributes", document.definition.attributes.map(attributeXml)),
      ]);
    case "requests":
      return element("service_requests", document.requests.map((request) => element("request", fieldsOf({ ...request }))));
    case "receipts":
      return element("service_requests", document.receipts.map((receipt) => element("request", fieldsOf({ ...receipt }))));
    case "tokens":
      return element("service_requests", document.tokens.map((token) => element("request", fieldsOf({ ...token }))));
    case "errors":
      return element("errors", document.errors.map((error) => element("error", fieldsOf({ ...error }))));
    default:
      return unreachable(document);
  }
}

function attributeXml(attribute: Open311Attribute): XmlElement {
  const { values, ...scalars } = attribute;
  return element("attribute", [
    ...fieldsOf(scalars),
    ...(values === undefined
      ? []
      : [element("values", values.map((value) => element("value", [element("key", value.key), element("name", value.name)])))]),
  ]);
}

function withoutAbsent<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null)) as Partial<T>;
}

function unreachable(value: never): never {
  throw new Error(`unhandled Open311 document: ${JSON.stringify(value)}`);
}
