/**
 * A secondary index: a B+ tree of key tuples (compared field by field with `compareValues` and the
 * field's direction, then by the document's id key, so every entry is unique), or, for a 2dsphere
 * index, a GeoIndex on its geo field. Documents are named by the catalog's canonical key of `_id`.
 */
import sortedBtree from "sorted-btree";
import { canonicalKey, compareValues, valuesEqual, type Doc } from "../bson-values.js";
import { GeoIndex } from "../geo/geo-index.js";
import { compileFilter, type Matcher } from "../query/matcher.js";
import type { IndexSpec } from "./catalog.js";
import { geoValueAtPath, keyTuples, type IndexField } from "./index-keys.js";
import { indexFields } from "./index-specs.js";

// sorted-btree is CommonJS with `exports.default`; Node's ESM import hands over the whole exports object.
type BTreeClass = typeof sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;
const BTreeConstructor: BTreeClass =
  (sortedBtree as unknown as { default?: BTreeClass }).default ?? (sortedBtree as unknown as BTreeClass);

/** Bounds that sort before / after every value of a field, in index order. */
export const LOWEST: unique symbol = Symbol("lowest");
export const HIGHEST: unique symbol = Symbol("highest");

/** Index entries an ordered walk reads at a time: enough to fill a first page, few enough to stop early. */
const WALK_CHUNK = 64;

interface IndexEntry {
  values: unknown[];
  id: string;
  /** Set on search bounds only: -1 sorts before every id with these values, 1 after. */
  edge?: -1 | 1;
}

/** A scan range in index order, inclusive at both ends (the caller's re-check removes boundary values). */
export interface KeyInterval {
  low: unknown[];
  high: unknown[];
}

function entryComparator(directions: number[]): (a: IndexEntry, b: IndexEntry) => number {
  return (a, b) => {
    for (let i = 0; i < directions.length; i++) {
      const x = a.values[i];
      const y = b.values[i];
      if (x === y) continue;
      if (x === LOWEST || y === HIGHEST) return -1;
      if (x === HIGHEST || y === LOWEST) return 1;
      const order = compareValues(x, y);
      if (order !== 0) return order * directions[i];
      // An empty array's key (undefined) compares equal to null but sorts before it, as in a sort
      // stage; kept apart so that index order is sort order, and no null query matches an empty array.
      if (x === undefined || y === undefined) return (x === undefined ? -1 : 1) * directions[i];
    }
    const edgeA = a.edge ?? 0;
    const edgeB = b.edge ?? 0;
    if (edgeA !== edgeB) return edgeA - edgeB;
    if (edgeA !== 0) return 0;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

/** What a document contributes to one index: key tuples for the B-tree, or a value for the geo index. */
export interface IndexKeys {
  tuples: unknown[][];
  geoValue?: unknown;
}

export class SecondaryIndex {
  readonly spec: IndexSpec;
  readonly fields: IndexField[];
  /** Fields kept in the B-tree (all but the geo field of a 2dsphere index). */
  readonly treeFields: IndexField[];
  readonly geoField: IndexField | undefined;
  /** Set once any document expanded an array into several keys; never cleared (it only limits planning). */
  multikey = false;
  /** The fields through which some document expanded an array (mongod's multikeyPaths); never cleared either. */
  readonly multikeyPaths = new Set<string>();
  private readonly tree: BTree<IndexEntry, undefined> | undefined;
  private readonly compare: (a: IndexEntry, b: IndexEntry) => number;
  private readonly geo: GeoIndex | undefined;
  private readonly partialFilter: Matcher | undefined;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = indexFields(spec.key);
    this.geoField = this.fields.find((field) => field.kind === "2dsphere");
    this.treeFields = this.geoField ? [] : this.fields;
    this.compare = entryComparator(this.treeFields.map((field) => field.direction));
    if (this.geoField) this.geo = new GeoIndex();
    else this.tree = new BTreeConstructor<IndexEntry, undefined>(undefined, this.compare);
    this.partialFilter = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression as Doc) : undefined;
  }

  get name(): string {
    return this.spec.name;
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  get sparse(): boolean {
    return this.spec.sparse === true;
  }

  get partial(): boolean {
    return this.partialFilter !== undefined;
  }

  get isGeo(): boolean {
    return this.geo !== undefined;
  }

  /** Seconds after the indexed date that a document expires, for a TTL index. */
  get expireAfterSeconds(): number | undefined {
    return typeof this.spec.expireAfterSeconds === "number" ? this.spec.expireAfterSeconds : undefined;
  }

  /**
   * The keys `doc` has in this index, or undefined when the index leaves it out (sparse and missing,
   * not matching the partial filter, no geo value). Throws for documents the index cannot hold
   * (parallel arrays, arrays in a hashed field); geo validity is checked when applying.
   */
  keysOf(doc: Doc): IndexKeys | undefined {
    if (this.partialFilter && !this.partialFilter(doc)) return undefined;
    if (this.geoField) {
      const geoValue = geoValueAtPath(doc, this.geoField.path);
      return geoValue === undefined ? undefined : { tuples: [], geoValue };
    }
    const { tuples, present, multikey, arrayFields } = keyTuples(doc, this.treeFields);
    if (this.sparse && !present) return undefined;
    if (multikey) {
      this.multikey = true;
      for (const path of arrayFields) this.multikeyPaths.add(path);
    }
    return { tuples };
  }

  /** A key tuple of another document equal to one of `tuples`, for a unique index; undefined when none. */
  findDuplicate(tuples: unknown[][], id: string): unknown[] | undefined {
    if (!this.unique || !this.tree) return undefined;
    for (const values of tuples) {
      for (const entry of this.entriesBetween(values, values)) {
        if (entry.id !== id && entry.values.every((value, i) => valuesEqual(value, values[i]))) return values;
      }
    }
    return undefined;
  }

  /** Adds a document's keys. For a geo index this validates the value (16755) and may throw. */
  add(id: string, keys: IndexKeys): void {
    if (this.geo) {
      this.geo.add(id, keys.geoValue);
      return;
    }
    for (const values of keys.tuples) this.tree!.set({ values, id }, undefined);
  }

  remove(id: string, keys: IndexKeys): void {
    if (this.geo) {
      this.geo.remove(id);
      return;
    }
    for (const values of keys.tuples) this.tree!.delete({ values, id });
  }

  /** Whether two key sets are the same, so a replace can leave the index alone. */
  sameKeys(a: IndexKeys | undefined, b: IndexKeys | undefined): boolean {
    if (a === undefined || b === undefined) return a === b;
    if (this.geo) return canonicalKey(a.geoValue) === canonicalKey(b.geoValue);
    if (a.tuples.length !== b.tuples.length) return false;
    return a.tuples.every((values, i) => values.every((value, j) => valuesEqual(value, b.tuples[i][j])));
  }

  /** Ids of documents with keys inside `interval`, in index order. Collected first, so callers may write while using them. */
  idsIn(interval: KeyInterval): string[] {
    const ids: string[] = [];
    const tree = this.tree;
    if (!tree) return ids;
    const lowEntry: IndexEntry = { values: interval.low, id: "", edge: -1 };
    const highEntry: IndexEntry = { values: interval.high, id: "", edge: 1 };
    if (this.compare(lowEntry, highEntry) > 0) return ids;
    // No entry equals an edge, so including the high end changes nothing; a callback spares an iterator and a pair per entry.
    tree.forRange(lowEntry, highEntry, true, (entry) => {
      ids.push(entry.id);
    });
    return ids;
  }

  /**
   * Ids of documents with keys inside `interval`, in index order (backward: from the high end), read
   * lazily for plans that stop early. Entries are read WALK_CHUNK at a time without yielding and the
   * walk resumes after the last entry seen, so writes between two reads (a cursor's batches) never
   * touch a live tree iterator. An id comes once per key: multikey callers drop repeats.
   */
  *walk(interval: KeyInterval, backward = false): Generator<string> {
    const tree = this.tree;
    if (!tree) return;
    const lowEntry: IndexEntry = { values: interval.low, id: "", edge: -1 };
    const highEntry: IndexEntry = { values: interval.high, id: "", edge: 1 };
    if (this.compare(lowEntry, highEntry) > 0) return;
    let resumeAt: IndexEntry = backward ? highEntry : lowEntry;
    let skipResumeEntry = false;
    for (;;) {
      const chunk: IndexEntry[] = [];
      const entries = backward ? tree.entriesReversed(resumeAt) : tree.entries(resumeAt);
      for (const [entry] of entries) {
        if (skipResumeEntry && this.compare(entry, resumeAt) === 0) continue;
        if (backward ? this.compare(entry, lowEntry) < 0 : this.compare(entry, highEntry) > 0) break;
        chunk.push(entry);
        if (chunk.length === WALK_CHUNK) break;
      }
      for (const entry of chunk) yield entry.id;
      if (chunk.length < WALK_CHUNK) return;
      resumeAt = chunk[chunk.length - 1];
      skipResumeEntry = true;
    }
  }

  /**
   * How many entries lie inside `interval` (a multikey document counts once per key there), counting
   * no further than `limit`: a planner comparing intervals needs only to know which is smaller, and
   * stopping there keeps the comparison as cheap as reading the smaller one.
   */
  countIn(interval: KeyInterval, limit = Number.POSITIVE_INFINITY): number {
    const tree = this.tree;
    if (!tree) return 0;
    const lowEntry: IndexEntry = { values: interval.low, id: "", edge: -1 };
    const highEntry: IndexEntry = { values: interval.high, id: "", edge: 1 };
    if (this.compare(lowEntry, highEntry) > 0 || limit <= 0) return 0;
    if (limit === Number.POSITIVE_INFINITY) return tree.forRange(lowEntry, highEntry, true);
    let counted = 0;
    // sorted-btree stops a range walk when the callback answers {break}; its typings omit that form.
    const stopAtLimit = (() => (++counted >= limit ? { break: true } : undefined)) as unknown as () => void;
    tree.forRange(lowEntry, highEntry, true, stopAtLimit);
    return counted;
  }

  /** Every id in index order. */
  allIds(): string[] {
    const ids: string[] = [];
    if (this.tree) for (const entry of this.tree.keys()) ids.push(entry.id);
    return ids;
  }

  /** Candidate ids for a geo operator; undefined when this index cannot narrow it. */
  geoCandidates(operator: "$geoWithin" | "$geoIntersects" | "$near" | "$nearSphere", operand: unknown): Set<string> | undefined {
    return this.geo?.candidates(operator, operand);
  }

  get size(): number {
    return this.tree ? this.tree.size : (this.geo?.size ?? 0);
  }

  private *entriesBetween(low: unknown[], high: unknown[]): Generator<IndexEntry> {
    const tree = this.tree;
    if (!tree) return;
    const lowEntry: IndexEntry = { values: low, id: "", edge: -1 };
    const highEntry: IndexEntry = { values: high, id: "", edge: 1 };
    if (this.compare(lowEntry, highEntry) > 0) return;
    for (const [entry] of tree.entries(lowEntry)) {
      if (this.compare(entry, highEntry) > 0) return;
      yield entry;
    }
  }
}
