/**
 * `wactor up --watch`: a changed actor file is verified and live-updated (same subject
 * required); in-flight invocations finish on the old version, so no request is dropped.
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { toWactorError } from "../errors.js";
import type { Host } from "../host/host.js";

const DEBOUNCE_MS = 150;

export function watchActorFiles(host: Host, files: Array<{ path: string; key: string }>, logger: Logger): () => void {
  const watchers: FSWatcher[] = [];
  for (const { path, key } of files) {
    let timer: NodeJS.Timeout | undefined;
    let updating = Promise.resolve();
    const update = async (): Promise<void> => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(path));
      } catch {
        return; // mid-write or removed: the next change event retries
      }
      try {
        const info = await host.replaceActor(key, bytes);
        logger.info({ actor: key, name: info.name, path }, "live update applied");
      } catch (err) {
        const error = toWactorError(err);
        logger.error(
          { actor: key, path, code: error.code, ...(error.cause !== undefined && { err: error.cause }) },
          `live update refused, the running version keeps serving: ${error.message}`,
        );
      }
    };
    // Watch the directory: editors and compilers replace files, which drops a file watch.
    const dir = path.slice(0, path.lastIndexOf("/")) || ".";
    const base = path.slice(path.lastIndexOf("/") + 1);
    const watcher = watch(dir, (_event, name) => {
      if (name !== base) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        updating = updating.then(update);
      }, DEBOUNCE_MS);
    });
    watchers.push(watcher);
  }
  return () => watchers.forEach((w) => w.close());
}
