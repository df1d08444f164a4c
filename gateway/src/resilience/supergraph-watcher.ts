/**
 * Reloads the supergraph file when it changes, without a restart: Apollo Gateway's `supergraphSdl`
 * hook hands us `update`, and Apollo swaps schema and query planner for new requests while requests
 * already executing finish on the plan they started with.
 *
 * Changes are noticed two ways: `fs.watch` on the file's directory (the file itself would be lost when
 * a tool replaces it by renaming, as `npm run compose` and editors do), and a periodic `stat` for file
 * systems that send no events (network mounts, Kubernetes ConfigMaps, which swap a symlink). A burst of
 * events is debounced into one reload; a new text that does not parse or compose is logged and the
 * previous supergraph kept, so a half-written or broken file never takes the gateway down.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { SupergraphSdlHook } from "@apollo/gateway";
import type { Logger } from "@situation/platform";

export interface SupergraphWatcherOptions {
  path: string;
  logger: Logger;
  /** Checks a supergraph before Apollo sees it (e.g. that every subgraph has a URL); throws to refuse it. */
  validate: (supergraphSdl: string) => void;
  /** Called with the first supergraph and after Apollo took each new one. */
  onLoaded?: (supergraphSdl: string) => void;
  /** How often the file is stat'ed besides file-system events; 0 turns that off. Default 5 s. */
  pollIntervalMs?: number;
  /** Quiet time after the last change event before the file is read. Default 100 ms. */
  debounceMs?: number;
}

export function watchedSupergraph(options: SupergraphWatcherOptions): SupergraphSdlHook {
  const { path, logger } = options;
  const debounceMs = options.debounceMs ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 5_000;

  return async ({ update }) => {
    let current = await readSupergraph(path);
    options.validate(current);
    options.onLoaded?.(current);
    let lastStat = await fileStamp(path);
    let debounce: NodeJS.Timeout | undefined;
    let reloading = Promise.resolve();
    let stopped = false;

    const reload = async () => {
      let text: string;
      try {
        text = await readSupergraph(path);
      } catch (error) {
        logger.error({ err: error, path }, "cannot read the changed supergraph; keeping the previous one");
        return;
      }
      if (stopped || text === current) return;
      try {
        options.validate(text);
        // Apollo builds and validates the new supergraph inside `update` and throws without changing
        // anything when it is invalid.
        update(text);
      } catch (error) {
        logger.error({ err: error, path }, "the changed supergraph is invalid; keeping the previous one");
        // Remembered, so that polling does not log the same broken file again every interval.
        current = text;
        return;
      }
      current = text;
      logger.info({ path }, "supergraph reloaded");
      options.onLoaded?.(text);
    };

    const schedule = () => {
      if (stopped) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => {
        // One reload at a time: Apollo refuses `update` while another is in progress.
        reloading = reloading.then(reload);
      }, debounceMs);
      debounce.unref();
    };

    const file = basename(path);
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(path), { persistent: false }, (_event, name) => {
        if (name === null || name === file) schedule();
      });
      watcher.on("error", (error) => {
        logger.warn({ err: error, path }, "watching the supergraph's directory failed; relying on polling");
        watcher?.close();
      });
    } catch (error) {
      logger.warn({ err: error, path }, "cannot watch the supergraph's directory; relying on polling");
    }

    const poll =
      pollIntervalMs > 0
        ? setInterval(() => {
            void fileStamp(path).then((stamp) => {
              if (stamp === lastStat) return;
              lastStat = stamp;
              schedule();
            });
          }, pollIntervalMs)
        : undefined;
    poll?.unref();

    return {
      supergraphSdl: current,
      cleanup: async () => {
        stopped = true;
        watcher?.close();
        clearInterval(poll);
        clearTimeout(debounce);
        await reloading;
      },
    };
  };
}

async function readSupergraph(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the supergraph at ${path} (set SUPERGRAPH_PATH, or run \`npm run compose\`)`, { cause: error });
  }
}

/** What changes when the file (or the file a symlink points to) is replaced or rewritten. */
async function fileStamp(path: string): Promise<string> {
  try {
    const stats = await stat(path);
    return `${stats.ino}:${stats.size}:${stats.mtimeMs}`;
  } catch {
    return "missing";
  }
}
