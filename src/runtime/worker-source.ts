/**
 * How to start a worker thread on one of this package's modules, compiled or not: under
 * tsx/vitest the module is TypeScript, and a tiny bootstrap imports it through tsx's API
 * (loader flags are not inherited by worker threads).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";

/** `relative` names the module without extension, from the caller's `import.meta.url`. */
export function startWorker(relative: string, callerUrl: string, options: WorkerOptions = {}): Worker {
  const isTs = callerUrl.endsWith(".ts");
  const url = new URL(`${relative}${isTs ? ".ts" : ".js"}`, callerUrl);
  if (!isTs) return new Worker(url, options);
  const tsx = pathToFileURL(
    createRequire(callerUrl)
      .resolve("tsx/esm/api")
      .replace(/\.cjs$/, ".mjs"),
  ).href;
  const source = `import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(callerUrl)}));`;
  return new Worker(source, { ...options, eval: true });
}
