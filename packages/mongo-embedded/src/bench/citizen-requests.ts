/**
 * Deterministic documents shaped like the contact center's citizen requests (about 1 KB each,
 * with a GeoJSON point inside or near Kruševac), so benchmark runs compare like with like.
 */

const categories = ["water", "heating", "waste", "roads", "public-lighting", "public-transport", "parking", "green-areas", "stray-animals", "noise"];
const channels = ["phone", "web", "email", "walk-in", "api", "open311"];
const statuses = ["received", "assigned", "in-progress", "waiting-for-citizen", "resolved", "closed"];
const streets = ["Видовданска", "Мирка Томића", "Косовска", "Балшићева", "Паркова", "Јасички пут", "Чолак Антина", "Немањина"];

/** The city centre; points spread about ±4 km around it. */
const CENTRE = { lng: 21.3336, lat: 43.5800 };

/** A small deterministic generator: the same index always gives the same document. */
function pseudoRandom(seed: number): () => number {
  let state = seed * 2654435761 >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

export function citizenRequest(index: number): Record<string, unknown> {
  const random = pseudoRandom(index + 1);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const receivedAt = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 300 * 86_400_000));
  return {
    trackingCode: `KS-${String(index).padStart(7, "0")}`,
    category: pick(categories),
    channel: pick(channels),
    status: pick(statuses),
    priority: 1 + Math.floor(random() * 5),
    description:
      "Грађанин пријављује проблем на адреси; потребна је интервенција надлежне службе. " +
      "The citizen reports a problem at this address and asks for the responsible service to act. ".repeat(3),
    location: {
      type: "Point",
      coordinates: [CENTRE.lng + (random() - 0.5) * 0.1, CENTRE.lat + (random() - 0.5) * 0.07],
    },
    address: { street: pick(streets), number: String(1 + Math.floor(random() * 120)), city: "Крушевац", postalCode: "37000" },
    citizen: { name: "Petar Petrović", phone: `+381 37 ${100000 + Math.floor(random() * 900000)}`, email: `citizen${index}@example.rs` },
    attachments: [`https://files.krusevac.example/requests/${index}/photo-1.jpg`],
    receivedAt,
    dueAt: new Date(receivedAt.getTime() + 72 * 3_600_000),
    history: [
      { at: receivedAt, by: "agent-7", from: null, to: "received", comment: "Позив примљен" },
      { at: new Date(receivedAt.getTime() + 3_600_000), by: "router", from: "received", to: "assigned", comment: "Assigned by catalog rule" },
    ],
  };
}

/** A district-sized polygon (about 3 × 2 km) in the city centre. */
export const districtPolygon = {
  type: "Polygon" as const,
  coordinates: [
    [
      [21.315, 43.570],
      [21.352, 43.570],
      [21.352, 43.590],
      [21.315, 43.590],
      [21.315, 43.570],
    ],
  ],
};
