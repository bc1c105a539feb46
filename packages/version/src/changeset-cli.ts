import { access } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import type { Io } from "@polyglot-changesets/core";
import { execa } from "execa";

/** How to start the repo's own changesets CLI: its `bin.js` under the current Node, else a bin on disk / PATH. */
export async function resolveChangesetCommand(root: string): Promise<{ file: string; args: string[] }> {
  try {
    const binJs = createRequire(path.join(root, "package.json")).resolve("@changesets/cli/bin.js");
    // Run it on the Node running us: a `.bin` shim would pick whatever `node` is first on PATH.
    return { file: process.execPath, args: [binJs] };
  } catch {
    const shim = path.join(root, "node_modules", ".bin", "changeset");
    const hasShim = await access(shim).then(
      () => true,
      () => false,
    );
    return { file: hasShim ? shim : "changeset", args: [] };
  }
}

/**
 * Runs `changeset version [args...]` in `root` and returns its exit code. Its output goes to the caller's
 * streams (stdout to stderr under --json, so stdout stays parseable).
 */
export async function runChangesetVersion(
  root: string,
  args: readonly string[],
  io: Io,
  options: { stdoutToStderr: boolean; env?: NodeJS.ProcessEnv | undefined },
): Promise<number> {
  const command = await resolveChangesetCommand(root);
  const inherit = io.stdout === process.stdout && io.stderr === process.stderr;
  const stdout = options.stdoutToStderr ? io.stderr : io.stdout;
  const result = await execa(command.file, [...command.args, "version", ...args], {
    cwd: root,
    reject: false,
    stdin: "inherit",
    stdout: inherit ? (options.stdoutToStderr ? 2 : "inherit") : "pipe",
    stderr: inherit ? "inherit" : "pipe",
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  if (!inherit) {
    if (result.stdout) stdout.write(`${result.stdout}\n`);
    if (result.stderr) io.stderr.write(`${result.stderr}\n`);
  }
  if (result.failed && result.exitCode === undefined) {
    io.stderr.write(
      `polyglot-version: could not start changeset version: ${result.shortMessage}\n  fix: install the changesets CLI in the repo (pnpm add -Dw @changesets/cli)\n`,
    );
    return 2;
  }
  return result.exitCode ?? 1;
}
