/**
 * CONTRACT (owner: catalog helper). The change records the catalog writes to the journal and replays.
 * Field `op` names the change; `db` and `coll` the namespace.
 */
import type { Doc } from "../bson-values.js";

export type ChangeRecord =
  | { op: "createCollection"; db: string; coll: string; options: Doc }
  | { op: "dropCollection"; db: string; coll: string }
  | { op: "renameCollection"; db: string; coll: string; toDb: string; toColl: string }
  | { op: "dropDatabase"; db: string }
  | { op: "createIndex"; db: string; coll: string; spec: Doc }
  | { op: "dropIndex"; db: string; coll: string; name: string }
  | { op: "put"; db: string; coll: string; doc: Doc }
  | { op: "delete"; db: string; coll: string; id: unknown };
