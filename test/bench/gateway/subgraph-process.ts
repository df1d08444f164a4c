/** Child process: one fixture subgraph. `node subgraph-process.js <accounts|inventory|products|reviews>` */
import { announceReady, failStart, stopWith } from "./child-process.js";
import { startBenchSubgraph } from "./subgraph-server.js";
import { isSubgraphName, SUBGRAPH_NAMES } from "./subgraphs.js";

const name = process.argv[2] ?? "";
if (!isSubgraphName(name)) {
  failStart(new RangeError(`the subgraph name must be one of ${SUBGRAPH_NAMES.join(", ")}; got "${name}"`));
} else {
  try {
    const subgraph = await startBenchSubgraph(name);
    stopWith(() => subgraph.close());
    announceReady({ url: subgraph.url, description: `${name} subgraph (@apollo/subgraph on node:http)` });
  } catch (error) {
    failStart(error);
  }
}
