/**
 * Pulling an actor by reference against the same HTTP requests made by hand, in one run,
 * from a docker-registry on loopback: what wactor's client, the claims check and the disk
 * cache add. Bounded: at most `count` pulls or 5 s per row.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyPair, pullActor, pushActor, signModule } from "../dist/src/mod.js";
import { actor } from "../test/helpers/actors.js";
import { startRegistry } from "../test/helpers/registry.js";
import { answerModule } from "../test/helpers/wasm-fixtures.js";
import { fmt, sequentialRate } from "./stats.js";
import type { Row } from "./runtime.js";

const MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json";

/** The two requests of a pull, by hand: manifest by tag, then its first layer. */
async function rawPull(base: string, tag: string): Promise<Uint8Array> {
  const manifest = (await (await fetch(`${base}/manifests/${tag}`, { headers: { accept: MANIFEST_ACCEPT } })).json()) as { layers: Array<{ digest: string }> };
  return new Uint8Array(await (await fetch(`${base}/blobs/${manifest.layers[0]!.digest}`)).arrayBuffer());
}

function row(what: string, baseline: { perSecond: number }, wactor: { perSecond: number }): Row {
  const ms = (r: { perSecond: number }): string => `${fmt(1000 / r.perSecond, 2)} ms`;
  return { what, baseline: ms(baseline), wactor: ms(wactor), ratio: fmt(wactor.perSecond / baseline.perSecond, 2) };
}

export async function registryBench(count = 40): Promise<Row[]> {
  const registry = await startRegistry();
  const dir = mkdtempSync(join(tmpdir(), "wactor-bench-reg-"));
  try {
    const echo = new Uint8Array(readFileSync(actor("echo").signedPath));
    const big = (await signModule(answerModule({ padding: 3 * 1024 * 1024 }), { issuer: KeyPair.create("account"), subject: KeyPair.create("module") })).bytes;
    const small = await pushActor(`${registry.host}/bench/echo:v1`, echo, "echo_s.wasm");
    await pushActor(`${registry.host}/bench/big:v1`, big, "big.wasm");
    const base = (repo: string): string => `http://${registry.host}/v2/bench/${repo}`;
    let run = 0;
    const fresh = (): string => join(dir, `cache-${run++}`); // an empty cache: every pull goes to the registry
    const rows: Row[] = [];
    rows.push(
      row(
        `pull ${fmt(echo.byteLength / 1024)} KiB echo by tag, empty cache (baseline: the same 2 GETs by hand)`,
        await sequentialRate(() => rawPull(base("echo"), "v1"), count),
        await sequentialRate(() => pullActor(`${registry.host}/bench/echo:v1`, { cacheDir: fresh() }), count),
      ),
    );
    rows.push(
      row(
        "pull 3 MiB module by tag, empty cache (same baseline)",
        await sequentialRate(() => rawPull(base("big"), "v1"), count / 4),
        await sequentialRate(() => pullActor(`${registry.host}/bench/big:v1`, { cacheDir: fresh() }), count / 4),
      ),
    );
    const cacheDir = fresh();
    const pinned = `${registry.host}/bench/echo@${small.digest}`;
    await pullActor(pinned, { cacheDir });
    rows.push(
      row(
        "pull echo pinned by digest, cached (baseline: readFile of the module)",
        await sequentialRate(() => readFile(actor("echo").signedPath), count),
        await sequentialRate(() => pullActor(pinned, { cacheDir }), count),
      ),
    );
    return rows;
  } finally {
    await registry.stop();
  }
}
