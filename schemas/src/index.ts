export {
  produceSchemas,
  SUBGRAPHS,
  SUPERGRAPH_FILE,
  type ProducedSchemas,
  type SchemaFile,
  type SubgraphSource,
} from "./produce-schemas.js";
