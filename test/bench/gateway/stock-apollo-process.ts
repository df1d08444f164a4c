/**
 * Child process: stock Apollo Gateway on Apollo Server with no tuning, as graphql-gateways-benchmark
 * runs it (gateways/apollo-gateway/index.ts, one process): the default fetcher, no plugins.
 */
import { readFile } from "node:fs/promises";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { announceReady, failStart, stopWith } from "./child-process.js";

try {
  const supergraphPath = process.env.SUPERGRAPH_PATH;
  if (supergraphPath === undefined) throw new Error("SUPERGRAPH_PATH is not set");
  const supergraphSdl = await readFile(supergraphPath, "utf8");
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl }) });
  const { url } = await startStandaloneServer(server, { listen: { host: process.env.HOST ?? "127.0.0.1", port: 0 } });
  stopWith(() => server.stop());
  announceReady({ url });
} catch (error) {
  failStart(error);
}
