/**
 * The entity map of a unified test: clients, databases, collections, sessions, cursors and saved
 * results, by id. Entities live for one test; `close` releases the clients and cursors.
 */
import {
  AbstractCursor,
  ClientSession,
  Collection,
  Db,
  MongoClient,
  type CollectionOptions,
  type DbOptions,
  type Document,
  type MongoClientOptions,
  type ServerApi,
} from "mongodb";
import type { ServerFacts } from "./requirements.js";
import type { ClientEntity, CollectionEntity, DatabaseEntity, EntityDescription, SessionEntity } from "./unified-format.js";

/** Thrown where a test needs something this server or runner does not offer: the test is skipped. */
export class SkipTest extends Error {}

type EntityKind = "client" | "database" | "collection" | "session" | "cursor";

const entityClasses = {
  client: MongoClient,
  database: Db,
  collection: Collection,
  session: ClientSession,
  cursor: AbstractCursor,
} satisfies Record<EntityKind, abstract new (...args: never[]) => unknown>;

type EntityOfKind<Kind extends EntityKind> = InstanceType<(typeof entityClasses)[Kind]>;

/**
 * Client options the runner always sets: a misbehaving server should fail a test within seconds,
 * not hang the run.
 */
const RUNNER_CLIENT_OPTIONS: MongoClientOptions = { serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 30_000 };

export class EntityMap {
  private readonly entities = new Map<string, unknown>();

  /**
   * @param setupClient the runner's own client, for initialData, outcome and assert* operations, so
   *   that they do not depend on the options of the test's client entities.
   */
  constructor(
    private readonly uri: string,
    private readonly facts: ServerFacts,
    readonly setupClient: MongoClient,
  ) {}

  readonly lookup = (id: string): unknown => this.entities.get(id);

  set(id: string, value: unknown): void {
    if (this.entities.has(id)) throw new Error(`entity ${id} already exists`);
    this.entities.set(id, value);
  }

  get<Kind extends EntityKind>(kind: Kind, id: string): EntityOfKind<Kind> {
    const entity = this.entities.get(id);
    if (entity === undefined) throw new Error(`no entity named ${id}`);
    if (!(entity instanceof entityClasses[kind])) throw new Error(`entity ${id} is not a ${kind}`);
    return entity as EntityOfKind<Kind>;
  }

  async create(descriptions: EntityDescription[]): Promise<void> {
    for (const description of descriptions) {
      const [[kind, options]] = Object.entries(description) as [[string, unknown]];
      switch (kind) {
        case "client":
          await this.createClient(options as ClientEntity);
          break;
        case "database":
          this.createDatabase(options as DatabaseEntity);
          break;
        case "collection":
          this.createCollection(options as CollectionEntity);
          break;
        case "session":
          this.createSession(options as SessionEntity);
          break;
        default:
          throw new SkipTest(`entity type ${kind} is not supported by this runner`);
      }
    }
  }

  private async createClient(entity: ClientEntity): Promise<void> {
    if (entity.storeEventsAsEntities !== undefined) throw new SkipTest("storeEventsAsEntities is not supported by this runner");
    const options: MongoClientOptions = { ...RUNNER_CLIENT_OPTIONS, ...(entity.uriOptions as MongoClientOptions | undefined) };
    if (entity.serverApi !== undefined) options.serverApi = entity.serverApi as ServerApi;
    // observeEvents is accepted but not recorded: expectEvents checks what the driver sends, not the server.
    const client = new MongoClient(this.uri, options);
    this.set(entity.id, client);
    await client.connect();
  }

  private createDatabase(entity: DatabaseEntity): void {
    const client = this.get("client", entity.client);
    this.set(entity.id, client.db(entity.databaseName, entity.databaseOptions as DbOptions | undefined));
  }

  private createCollection(entity: CollectionEntity): void {
    const database = this.get("database", entity.database);
    this.set(entity.id, database.collection(entity.collectionName, entity.collectionOptions as CollectionOptions | undefined));
  }

  private createSession(entity: SessionEntity): void {
    if (!this.facts.supportsSessions) throw new SkipTest("the server does not support sessions");
    const client = this.get("client", entity.client);
    this.set(entity.id, client.startSession(entity.sessionOptions as Document | undefined));
  }

  /** Ends sessions, closes cursors, then clients; reports nothing, since the test is already decided. */
  async close(): Promise<void> {
    const values = [...this.entities.values()];
    this.entities.clear();
    for (const value of values) {
      if (value instanceof ClientSession) await value.endSession().catch(() => undefined);
      if (value instanceof AbstractCursor) await value.close().catch(() => undefined);
    }
    for (const value of values) {
      if (value instanceof MongoClient) await value.close().catch(() => undefined);
    }
  }
}
