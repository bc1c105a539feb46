import type { ChangesetVersionOptions } from "../args.js";
import { type ChangesetsRuntime, loadChangesetsRuntime } from "./changesets-runtime.js";

export type { ChangesetsRuntime } from "./changesets-runtime.js";
export { type AppliedVersion, type InProcessResult, versionInProcess } from "./version.js";

/**
 * Whether this run of `changeset version` can be done in-process, and with which runtime; otherwise the
 * one-line reason to spawn the repo's CLI instead.
 */
export async function prepareInProcessVersion(
  root: string,
  options: ChangesetVersionOptions,
): Promise<{ runtime: ChangesetsRuntime } | { fallback: string }> {
  const unproven = argumentsNotProven(options);
  if (unproven) return { fallback: unproven };
  return loadChangesetsRuntime(root);
}

/**
 * The arguments the in-process path reads exactly as the CLI's parser (cac) does: `--snapshot [tag]`,
 * `--snapshot-prerelease-template T`, `--ignore PKG`. Anything else goes to the real CLI.
 */
function argumentsNotProven(options: ChangesetVersionOptions): string | undefined {
  const args = options.args;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--snapshot") {
      if (args[i + 1] !== undefined && !args[i + 1]!.startsWith("-")) i++;
    } else if (arg === "--snapshot-prerelease-template" || arg === "--ignore") i++;
    else return `the argument ${JSON.stringify(arg)} is passed to changeset version as given`;
  }
  // cac turns a numeric value into a number (`--snapshot 007` becomes "7"): only the CLI gives its exact result.
  const values = [typeof options.snapshot === "string" ? options.snapshot : "", ...options.ignore];
  const numeric = values.find((value) => value.trim() !== "" && !Number.isNaN(Number(value)));
  if (numeric !== undefined)
    return `the numeric option value ${JSON.stringify(numeric)} is parsed by the CLI itself`;
  if (
    options.snapshotPrereleaseTemplate !== undefined &&
    !Number.isNaN(Number(options.snapshotPrereleaseTemplate))
  )
    return "a numeric --snapshot-prerelease-template is parsed by the CLI itself";
  return undefined;
}
