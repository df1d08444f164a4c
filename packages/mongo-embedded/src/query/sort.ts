/** CONTRACT (owner: query helper). */
import type { Doc } from "../bson-values.js";

/** MongoDB sort: `{a: 1, "b.c": -1}`; arrays sort by their least (ascending) or greatest (descending) element; missing sorts as null. `{$meta: ...}` is rejected with BadValue. */
export declare function compileSort(spec: Doc): (a: Doc, b: Doc) => number;
