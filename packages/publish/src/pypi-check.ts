import { type Io, loadWorkspace, PolyglotError, setOutput, writeError } from "@polyglot-changesets/core";
import type { PypiCheckArgs } from "./args.js";
import { redactUrl, rememberSecrets } from "./http.js";
import { readNpmrcFiles } from "./npmrc.js";
import { pypiTargetStates } from "./plan.js";
import { toPypiPackage } from "./report.js";
import { secretValues } from "./tokens.js";

/**
 * `polyglot-publish pypi-check`: each PyPI target's PEP 503 name and canonical version against the index; writes
 * `pypi` / `pypi-packages` for what is not there yet. With --fail-if-exists, a version already there exits 1.
 */
export async function pypiCheckCommand(args: PypiCheckArgs, io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const log = args.json ? io.stderr : io.stdout;
  const workspace = await loadWorkspace(args.cwd);
  rememberSecrets(secretValues(env, readNpmrcFiles(workspace.root, env)));
  const index = args.index ?? workspace.config.pypi.index;
  const states = await pypiTargetStates(workspace, index);
  for (const { release, state } of states) {
    const verdict = state === "present" ? "already on the index" : "not on the index yet";
    log.write(`${release.name} ${release.version} (${release.path}): ${verdict}\n`);
  }
  if (states.length === 0) log.write("polyglot-publish: no PyPI targets\n");
  const missing = states
    .filter((entry) => entry.state === "missing")
    .map((entry) => toPypiPackage(entry.release));
  const present = states
    .filter((entry) => entry.state === "present")
    .map((entry) => toPypiPackage(entry.release));
  setOutput("pypi", String(missing.length > 0), env);
  setOutput("pypi-packages", JSON.stringify(missing), env);
  if (args.json)
    io.stdout.write(
      `${JSON.stringify({ pypi: missing.length > 0, "pypi-packages": missing, present, index: redactUrl(index) }, null, 2)}\n`,
    );
  if (args.failIfExists && present.length > 0) {
    // The outputs and --json are written: the error is printed, not thrown (a second JSON document would follow).
    const error = new PolyglotError(
      `already on ${redactUrl(index)}: ${present.map((p) => `${p.name} ${p.version}`).join(", ")}`,
      {
        code: "pypi-version-exists",
        fix: "bump the source package with a changeset; PyPI never accepts a file for an existing version twice",
        exitCode: 1,
      },
    );
    writeError(io.stderr, "polyglot-publish", error);
    return error.exitCode;
  }
  return 0;
}
