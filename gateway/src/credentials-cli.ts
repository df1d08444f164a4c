#!/usr/bin/env node
/** Entry point of `situation-credentials` (root: `npm run credentials -- …`); the work is in credentials.ts. */
import { runCredentialsCli } from "./credentials.js";

process.exitCode = await runCredentialsCli(process.argv.slice(2), {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
