// Preloaded (`node --import`) into the `changeset` child, which polyglot-publish starts as the leader of its own
// process group with a pipe on stdin. The pipe closes when polyglot-publish dies, even by SIGKILL: then this
// removes the run's temp folder and kills the whole group (changeset and the npm it runs), so no publish goes on
// unattended. A re-run tags what was published before the kill.
import { rmSync } from "node:fs";

const workDir = process.env.POLYGLOT_PUBLISH_WORKDIR;

function parentGone(): void {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    process.exit(137);
  }
}

process.stdin.on("end", parentGone);
process.stdin.on("error", parentGone);
process.stdin.resume();
// The pipe must not keep a finished publish alive.
(process.stdin as { unref?: () => void }).unref?.();
