// The Python side of the `publish-pypi` job, done locally: find a Python that can build (Debian's python3-build +
// hatchling) and build the sdist and wheel. The mint and the upload are `polyglot-publish pypi-upload`'s.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { log, ROOT, run } from "./lib.mjs";

/** The Python that can build the example (`build` + `hatchling` importable), and whether it has twine. */
export async function findPython(env, only) {
  const candidates = (only ? [only] : ["/usr/bin/python3", "python3"]).filter(
    (p) => !p.includes("/") || existsSync(p),
  );
  let reason = only ? `${only} does not exist` : "no python3 found";
  for (const python of candidates) {
    const probe = await run(
      python,
      [
        "-c",
        "import importlib.util as u; print(' '.join(m for m in ('build', 'hatchling', 'twine') if u.find_spec(m)))",
      ],
      { quiet: true, allowFail: true, env },
    ).catch((error) => ({ code: 1, stdout: "", stderr: error.message }));
    if (probe.code !== 0) continue;
    const modules = new Set(probe.stdout.trim().split(/\s+/).filter(Boolean));
    if (modules.has("build") && modules.has("hatchling")) return { python, twine: modules.has("twine") };
    reason = `${python} has no ${["build", "hatchling"].filter((m) => !modules.has(m)).join(" or ")}`;
  }
  return { python: undefined, twine: false, reason };
}

export const INSTALL_PYTHON_TOOLS = join(ROOT, "scripts", "install-python-tools.sh");

/**
 * The Python the PyPI job builds with. When none has the build tools and this runs as root with apt-get, they are
 * installed as .ci/run does; otherwise the error names the exact command (or `--skip-pypi`).
 */
export async function requirePython(env, only) {
  const found = await findPython(env, only);
  if (found.python) return found;
  const canInstall = !only && process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
  if (canInstall) {
    log(`Installing Debian's python3-build, python3-hatchling and twine (${found.reason}) ...`);
    await run("bash", [INSTALL_PYTHON_TOOLS], { env, quiet: true });
    const installed = await findPython(env);
    if (installed.python) return installed;
  }
  const error = new Error(
    `the PyPI half of the demo needs Python build tools: ${found.reason}\n  fix: as root, bash scripts/install-python-tools.sh (apt-get install -y python3-build python3-hatchling twine python3-venv); or pass --python PATH, or --skip-pypi to leave the PyPI upload out`,
  );
  error.usage = true;
  throw error;
}

/** `python -m build --no-isolation` of one project into `outDir`; returns the built files. */
export async function buildDists(python, projectDir, outDir, env) {
  await run(
    python,
    ["-m", "build", "--no-isolation", "--skip-dependency-check", "--outdir", outDir, projectDir],
    {
      env,
      maxLines: 6,
      display: `${python} -m build --no-isolation --skip-dependency-check --outdir <tmp>/pypi-dist ${projectDir.replace(/.*\/repo\//, "")}`,
    },
  );
  return (await readdir(outDir))
    .filter((f) => f.endsWith(".tar.gz") || f.endsWith(".whl"))
    .sort()
    .map((f) => join(outDir, f));
}
