/**
 * Where the CRUD conformance files live by default: ../shared/conformance/mongo-crud beside the
 * repository root, the repository root being the nearest package.json that declares workspaces.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const DEFAULT_TESTS_FROM_REPOSITORY_ROOT = "../shared/conformance/mongo-crud";

export function defaultTestDirectory(start: string): string {
  return resolve(findRepositoryRoot(start), DEFAULT_TESTS_FROM_REPOSITORY_ROOT);
}

/** The nearest directory at or above `start` whose package.json declares npm workspaces. */
export function findRepositoryRoot(start: string): string {
  for (let directory = resolve(start); ; directory = dirname(directory)) {
    const manifest = join(directory, "package.json");
    if (existsSync(manifest) && declaresWorkspaces(readFileSync(manifest, "utf8"))) return directory;
    if (dirname(directory) === directory) throw new Error(`no package.json with "workspaces" at or above ${start}`);
  }
}

function declaresWorkspaces(manifestText: string): boolean {
  try {
    const manifest: unknown = JSON.parse(manifestText);
    return typeof manifest === "object" && manifest !== null && "workspaces" in manifest;
  } catch {
    return false;
  }
}
