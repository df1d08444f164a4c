/**
 * `npm run compose`: writes each subgraph's SDL to `schemas/<name>.graphql` and the composed
 * `schemas/supergraph.graphql`. Exits non-zero, printing every composition error, when the subgraphs
 * do not compose; the subgraph files are still written so the conflict can be read in them.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { produceSchemas } from "./produce-schemas.js";

// `schemas/`, from both `src/` (tests) and `dist/` (the built script).
const schemasDirectory = new URL("../", import.meta.url);

const produced = await produceSchemas();
for (const file of produced.files) {
  await writeFile(new URL(file.fileName, schemasDirectory), file.contents, "utf8");
  process.stdout.write(`wrote ${fileURLToPath(new URL(file.fileName, schemasDirectory))}\n`);
}
if (produced.composed) {
  for (const hint of produced.hints) process.stderr.write(`composition hint: ${hint}\n`);
} else {
  process.stderr.write(`composition failed with ${produced.errors.length} error(s); supergraph.graphql was not written:\n`);
  for (const error of produced.errors) process.stderr.write(`  - ${error}\n`);
  process.exitCode = 1;
}
