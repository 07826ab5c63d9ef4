/**
 * Compiles an AssemblyScript runnable against actors/runnable-sdk (its abort handler reports
 * through return_abort). Paths are relative to the repository root, given as --baseDir, so an
 * abort names its file as the repository does. Exits the process when compilation fails.
 */
import asc from "assemblyscript/asc";

const RUNNABLE_ABORT = "abort=actors/runnable-sdk/runnable/runnableAbort";

export async function compileRunnable(root, source, output, who) {
  const args = [source, "-o", output, "--runtime", "incremental", "-O3", "--use", RUNNABLE_ABORT, "--baseDir", root];
  const { error, stderr } = await asc.main(args, {});
  if (error) {
    console.error(`${who} failed to compile:\n${stderr.toString()}`);
    process.exit(1);
  }
}
