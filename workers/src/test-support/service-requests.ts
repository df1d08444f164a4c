/** Service requests for the escalation tests, made through the city subgraph's own repositories. */
import type { CityRepositories } from "@situation/city-subgraph";

export const TEST_CATEGORY = "public-lighting";
/** Whole hours, as the catalog requires; requests are backdated to fall due when a test wants. */
export const TEST_SLA_RESOLUTION_HOURS = 24;

const STAFF = { subject: "agent-escalation-test", roles: ["operator"] };

export async function seedTestCategory(repositories: CityRepositories): Promise<void> {
  await repositories.serviceCategories.upsert({
    code: TEST_CATEGORY,
    nameCyrillic: "Јавна расвета",
    nameLatin: "Javna rasveta",
    responsible: { kind: "department", id: "communal-inspection" },
    slaFirstResponseHours: 4,
    slaResolutionHours: TEST_SLA_RESOLUTION_HOURS,
  });
}

/** Submits a request whose `resolutionDueAt` is `dueInMs` from now (negative: already overdue). */
export async function submitRequestDueIn(repositories: CityRepositories, dueInMs: number): Promise<{ id: string; resolutionDueAt: Date }> {
  const receivedAt = new Date(Date.now() + dueInMs - TEST_SLA_RESOLUTION_HOURS * 3_600_000);
  const { request } = await repositories.serviceRequests.submit(
    {
      categoryCode: TEST_CATEGORY,
      description: "The street light in front of number 12 has been out for a week.",
      address: "Vidovdanska 12",
      channel: "phone",
    },
    STAFF,
    receivedAt,
  );
  return { id: request._id, resolutionDueAt: request.resolutionDueAt };
}
