// The bundle's static file about.md.
import { register, respSetHeader, Result, StaticFile } from "../../../../actors/runnable-sdk";
export { allocate, deallocate, run_e } from "../../../../actors/runnable-sdk";

register((input: ArrayBuffer): Result => {
  respSetHeader("Content-Type", "text/markdown; charset=utf-8");
  return StaticFile.get("about.md");
});
