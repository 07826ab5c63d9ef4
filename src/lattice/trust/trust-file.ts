/**
 * A file of trusted cluster keys (`C…`, whitespace- or line-separated, `#` comments) that a
 * host re-reads every heartbeat: removing a key there cuts its hosts' sessions within one
 * heartbeat, without a restart.
 */
import { readFileSync, statSync } from "node:fs";
import { isPublicKey } from "../../claims/nkeys.js";
import { WactorError } from "../../errors.js";

export class TrustFile {
  readonly path: string;
  #stamp = "";

  constructor(path: string) {
    this.path = path;
  }

  /** The keys now in the file; throws WACTOR_ERR_KEY_TYPE naming an entry that is not a cluster key. */
  read(): string[] {
    let text: string;
    try {
      const stat = statSync(this.path);
      this.#stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      throw new WactorError("WACTOR_ERR_BAD_ARGUMENT", `--trusted-clusters-file ${this.path}: ${(err as Error).message}`);
    }
    const keys = text
      .split("\n")
      .map((line) => line.replace(/#.*/, ""))
      .flatMap((line) => line.split(/\s+/))
      .filter((k) => k !== "");
    const bad = keys.find((k) => !isPublicKey(k, "cluster"));
    if (bad) throw new WactorError("WACTOR_ERR_KEY_TYPE", `${this.path}: '${bad}' is not a cluster public key (C…)`);
    return keys;
  }

  /** The keys when the file changed since the last read, else undefined. */
  poll(): string[] | undefined {
    let stamp: string;
    try {
      const stat = statSync(this.path);
      stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    } catch {
      stamp = "missing";
    }
    if (stamp === this.#stamp) return undefined;
    // A file that disappeared trusts nobody more: its keys are revoked.
    if (stamp === "missing") {
      this.#stamp = stamp;
      return [];
    }
    return this.read();
  }
}
