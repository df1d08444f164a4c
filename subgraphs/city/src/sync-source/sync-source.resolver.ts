import { UserInputError } from "@situation/platform";
import { Arg, Authorized, Ctx, GraphQLISODateTime, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import type { CityContext } from "../context.js";
import { InvalidSyncCursorError, type SyncPage } from "./sync-run.repository.js";
import {
  CreateSyncSourceInput,
  QuarantinedRecordConnection,
  SyncRunConnection,
  SyncRunQueued,
  SyncSource,
  toQuarantinedRecord,
  toSyncRun,
  toSyncSource,
  UpdateSyncSourceInput,
} from "./sync-source.model.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

function pageSizeOf(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new UserInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { field: "first" });
  }
  return size;
}

async function withCursor<T>(work: () => Promise<SyncPage<T>>): Promise<SyncPage<T>> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InvalidSyncCursorError) throw new UserInputError("after is not a cursor from a previous page", { field: "after", cause: error });
    throw error;
  }
}

/** Sync sources are the situation center's configuration: admins change them, operators watch them. */
@Resolver(() => SyncSource)
export class SyncSourceResolver {
  @Authorized("admin", "operator")
  @Query(() => [SyncSource], { description: "Every sync source with its freshness, by id: the control room's health view of the feeds" })
  async syncSources(@Ctx() context: CityContext): Promise<SyncSource[]> {
    const now = context.syncSources.now();
    return (await context.syncSources.findAll()).map((source) => toSyncSource(source, now));
  }

  @Authorized("admin", "operator")
  @Query(() => SyncSource, { nullable: true })
  async syncSource(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<SyncSource | null> {
    const source = await context.syncSources.findById(id);
    return source ? toSyncSource(source, context.syncSources.now()) : null;
  }

  @Authorized("admin", "operator")
  @Query(() => SyncRunConnection, { description: "A source's runs, newest first" })
  async syncRuns(
    @Arg("sourceId", () => ID) sourceId: string,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() context: CityContext,
  ): Promise<SyncRunConnection> {
    const size = pageSizeOf(first);
    const page = await withCursor(() => context.syncRuns.findPage(sourceId, size, after));
    return { ...page, nodes: page.nodes.map(toSyncRun) };
  }

  @Authorized("admin", "operator")
  @Query(() => QuarantinedRecordConnection, { description: "Records sync runs refused, newest first; of one source or one run, or all" })
  async syncQuarantine(
    @Arg("sourceId", () => ID, { nullable: true }) sourceId: string | null,
    @Arg("runId", () => ID, { nullable: true }) runId: string | null,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Ctx() context: CityContext,
  ): Promise<QuarantinedRecordConnection> {
    const size = pageSizeOf(first);
    const page = await withCursor(() => context.syncQuarantine.findPage({ sourceId, runId }, size, after));
    return { ...page, nodes: page.nodes.map(toQuarantinedRecord) };
  }

  @Authorized("admin")
  @Mutation(() => SyncSource, { description: "Adds a source; it is scheduled at once unless paused" })
  async createSyncSource(@Arg("input", () => CreateSyncSourceInput) input: CreateSyncSourceInput, @Ctx() context: CityContext): Promise<SyncSource> {
    const source = await context.syncSources.create(
      { ...input, schedule: input.schedule, options: input.options ?? {} },
      context.identity.subject,
    );
    context.logger.info({ sourceId: source._id, kind: source.kind, by: context.identity.subject }, "sync source created");
    return toSyncSource(source, context.syncSources.now());
  }

  @Authorized("admin")
  @Mutation(() => SyncSource)
  async updateSyncSource(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => UpdateSyncSourceInput) input: UpdateSyncSourceInput,
    @Ctx() context: CityContext,
  ): Promise<SyncSource> {
    const patch = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== null && value !== undefined));
    const source = await context.syncSources.update(id, patch, context.identity.subject);
    context.logger.info({ sourceId: id, fields: Object.keys(patch), by: context.identity.subject }, "sync source updated");
    return toSyncSource(source, context.syncSources.now());
  }

  @Authorized("admin")
  @Mutation(() => SyncSource, { description: "Stops the schedule; runs already queued still run" })
  async pauseSyncSource(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<SyncSource> {
    const source = await context.syncSources.setPaused(id, true, context.identity.subject);
    context.logger.info({ sourceId: id, by: context.identity.subject }, "sync source paused");
    return toSyncSource(source, context.syncSources.now());
  }

  @Authorized("admin")
  @Mutation(() => SyncSource)
  async resumeSyncSource(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<SyncSource> {
    const source = await context.syncSources.setPaused(id, false, context.identity.subject);
    context.logger.info({ sourceId: id, by: context.identity.subject }, "sync source resumed");
    return toSyncSource(source, context.syncSources.now());
  }

  @Authorized("admin")
  @Mutation(() => SyncRunQueued, { description: "Queues one run now (also of a paused source)" })
  async runSyncSourceNow(@Arg("id", () => ID) id: string, @Ctx() context: CityContext): Promise<SyncRunQueued> {
    const jobId = await context.syncSources.runNow(id);
    context.logger.info({ sourceId: id, jobId, by: context.identity.subject }, "sync run queued");
    return { sourceId: id, jobId };
  }

  @Authorized("admin")
  @Mutation(() => SyncRunQueued, { description: "Queues a run over a past period: no conditional request, nothing marked ended" })
  async backfillSyncSource(
    @Arg("id", () => ID) id: string,
    @Arg("from", () => GraphQLISODateTime) from: Date,
    @Arg("to", () => GraphQLISODateTime) to: Date,
    @Ctx() context: CityContext,
  ): Promise<SyncRunQueued> {
    const jobId = await context.syncSources.backfill(id, from, to);
    context.logger.info({ sourceId: id, jobId, from, to, by: context.identity.subject }, "sync backfill queued");
    return { sourceId: id, jobId };
  }
}

