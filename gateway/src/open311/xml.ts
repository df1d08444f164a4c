/**
 * A small XML writer for Open311's documents: elements and text only, no attributes, no namespaces.
 * Enough for the specification's shapes, and small enough to be obviously correct about escaping.
 */

/** A value that becomes an element's content; `undefined` and `null` leave the element out. */
export type XmlValue = string | number | boolean | null | undefined | XmlElement | readonly XmlElement[];

/** `{ name: "service_code", content: "water" }` renders `<service_code>water</service_code>`. */
export interface XmlElement {
  name: string;
  content: XmlValue | readonly XmlValue[];
}

// XML 1.0 Char: tab, newline, carriage return, and everything from U+0020 except surrogates and U+FFFE/FFFF.
// Anything else cannot be written in an XML 1.0 document even as a reference, so it is dropped.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
// The element names this module writes are the specification's; a name from elsewhere is a bug.
const XML_NAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, "").replace(/[&<>"']/g, (character) => ESCAPES[character]!);
}

export function element(name: string, content: XmlElement["content"]): XmlElement {
  return { name, content };
}

/** A whole document, UTF-8, with the XML declaration the specification asks for. */
export function renderXmlDocument(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderElement(root)}`;
}

export function renderElement(node: XmlElement): string {
  if (!XML_NAME.test(node.name)) throw new Error(`not an XML element name: ${JSON.stringify(node.name)}`);
  const inner = renderContent(node.content);
  return inner === "" ? `<${node.name}/>` : `<${node.name}>${inner}</${node.name}>`;
}

function renderContent(content: XmlElement["content"]): string {
  if (content === null || content === undefined) return "";
  if (Array.isArray(content)) return (content as readonly XmlValue[]).map(renderContent).join("");
  if (typeof content === "object") return renderElement(content as XmlElement);
  return escapeXml(String(content));
}

/**
 * Elements for a record's fields in order, leaving out absent values: Open311 clients treat a missing
 * element and an empty one alike, and an absent one cannot be misread as an empty string.
 */
export function fieldsOf(record: Readonly<Record<string, XmlValue>>): XmlElement[] {
  return Object.entries(record)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => element(name, value));
}
