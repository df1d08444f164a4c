import { describe, expect, it } from "vitest";
import { renderDocument } from "./documents.js";
import { element, escapeXml, renderElement, renderXmlDocument } from "./xml.js";

describe("the XML writer", () => {
  it("escapes the five special characters in text", () => {
    expect(escapeXml(`Tom & "Jerry's" <pipe>`)).toBe("Tom &amp; &quot;Jerry&apos;s&quot; &lt;pipe&gt;");
  });

  it("drops characters XML 1.0 cannot carry, and keeps Cyrillic, tabs and newlines", () => {
    expect(escapeXml("Вода\u0000\u0007\tteče\n\uFFFE")).toBe("Вода\tteče\n");
  });

  it("cannot be led into writing markup through content", () => {
    const xml = renderElement(element("description", "</description><status>closed</status>"));
    expect(xml).toBe("<description>&lt;/description&gt;&lt;status&gt;closed&lt;/status&gt;</description>");
  });

  it("writes empty elements short, nests, and starts a document with the UTF-8 declaration", () => {
    expect(renderXmlDocument(element("errors", [element("error", [element("code", 404), element("description", "")])]))).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<errors><error><code>404</code><description/></error></errors>',
    );
  });

  it("refuses an element name that is not one", () => {
    expect(() => renderElement(element("a b", "x"))).toThrow(/not an XML element name/);
  });
});

describe("Open311 documents", () => {
  it("writes a service list with the specification's element names, booleans as true/false", () => {
    const services = [
      { service_code: "water", service_name: "Voda", description: "Вода", metadata: true, type: "realtime" as const, keywords: "a, b", group: "vodovod" },
    ];
    expect(renderDocument({ kind: "services", services }, "xml").body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<services><service><service_code>water</service_code><service_name>Voda</service_name>' +
        "<description>Вода</description><metadata>true</metadata><type>realtime</type><keywords>a, b</keywords><group>vodovod</group></service></services>",
    );
    expect(JSON.parse(renderDocument({ kind: "services", services }, "json").body)).toEqual(services);
  });

  it("writes a service definition with attributes and their values", () => {
    const definition = {
      service_code: "water",
      attributes: [
        {
          variable: true,
          code: "kind",
          datatype: "singlevaluelist" as const,
          required: false,
          datatype_description: "",
          order: 1,
          description: "Kind",
          values: [{ key: "leak", name: "Curenje" }],
        },
      ],
    };
    const xml = renderDocument({ kind: "service-definition", definition }, "xml").body;
    expect(xml).toContain("<service_definition><service_code>water</service_code><attributes><attribute><variable>true</variable><code>kind</code>");
    expect(xml).toContain("<datatype_description/><order>1</order><description>Kind</description><values><value><key>leak</key><name>Curenje</name></value></values></attribute></attributes></service_definition>");
  });

  it("leaves absent fields out of requests in both formats", () => {
    const request = { service_request_id: "KS-ABCDEFGH", status: "open" as const, service_code: "water", requested_datetime: "2026-11-25T07:00:00Z", address: undefined };
    expect(renderDocument({ kind: "requests", requests: [request] }, "xml").body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request><service_request_id>KS-ABCDEFGH</service_request_id><status>open</status>' +
        "<service_code>water</service_code><requested_datetime>2026-11-25T07:00:00Z</requested_datetime></request></service_requests>",
    );
    expect(JSON.parse(renderDocument({ kind: "requests", requests: [request] }, "json").body)).toEqual([
      { service_request_id: "KS-ABCDEFGH", status: "open", service_code: "water", requested_datetime: "2026-11-25T07:00:00Z" },
    ]);
  });

  it("writes errors as the specification's list, with the content types it names", () => {
    const errors = [{ code: 400, description: "lat: required" }];
    expect(renderDocument({ kind: "errors", errors }, "json")).toEqual({
      contentType: "application/json; charset=utf-8",
      body: '[{"code":400,"description":"lat: required"}]',
    });
    expect(renderDocument({ kind: "errors", errors }, "xml").contentType).toBe("text/xml; charset=utf-8");
  });
});
