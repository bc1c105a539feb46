import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { isValidName, normalizePythonName, PolyglotError, samePep440 } from "@polyglot-changesets/core";

/** One built distribution to upload: an sdist (`.tar.gz`) or a wheel (`.whl`). */
export interface Distribution {
  /** Absolute path. */
  path: string;
  filename: string;
  /** PEP 503 name, from the file name. */
  project: string;
  /** The version as the file name spells it (PEP 625 / PEP 427: canonical for files built by current tools). */
  version: string;
  kind: "sdist" | "wheel";
}

/** One release of one project: the files of a `name` + `version` pair. */
export interface DistributionGroup {
  project: string;
  version: string;
  files: Distribution[];
}

/**
 * The distributions named on the command line: files, or folders whose `.tar.gz` / `.whl` files are taken (like
 * `dist/`). Anything else named explicitly is an error; so is a file name that is no sdist or wheel name.
 */
export function readDistributions(paths: readonly string[], cwd: string): Distribution[] {
  if (paths.length === 0) {
    throw new PolyglotError("pypi-upload needs the distributions to upload", {
      setting: "PATH",
      fix: "pass the built files or their folder, e.g. `polyglot-publish pypi-upload dist/`",
    });
  }
  const found = paths.flatMap((given) => filesOf(path.resolve(cwd, given), given));
  const unique = [...new Map(found.map((file) => [file, file])).values()];
  if (unique.length === 0) {
    throw new PolyglotError(`no .tar.gz or .whl file in ${paths.join(", ")}`, {
      setting: "PATH",
      fix: "build first (`python3 -m build --outdir dist/ <project>`), then pass dist/",
    });
  }
  return unique.map(parseDistribution);
}

function filesOf(absolute: string, given: string): string[] {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(absolute);
  } catch {
    throw new PolyglotError(`${JSON.stringify(given)} does not exist`, {
      setting: "PATH",
      fix: "build first (`python3 -m build --outdir dist/ <project>`) and pass the files or their folder",
    });
  }
  if (stats.isDirectory()) {
    return readdirSync(absolute)
      .filter((name) => isDistributionName(name))
      .sort()
      .map((name) => path.join(absolute, name));
  }
  if (!isDistributionName(path.basename(absolute))) {
    throw new PolyglotError(`${JSON.stringify(given)} is not an sdist (.tar.gz) or a wheel (.whl)`, {
      setting: "PATH",
      fix: "pass only the files `python3 -m build` writes (PyPI accepts no other kind)",
    });
  }
  return [absolute];
}

function isDistributionName(name: string): boolean {
  return name.endsWith(".tar.gz") || name.endsWith(".whl");
}

/** `name-version.tar.gz` (PEP 625), `name-version(-build)?-py-abi-platform.whl` (PEP 427). */
export function parseDistribution(file: string): Distribution {
  const filename = path.basename(file);
  const wheel = filename.endsWith(".whl");
  const stem = filename.slice(0, wheel ? -".whl".length : -".tar.gz".length);
  const parts = wheel ? stem.split("-") : splitSdist(stem);
  const [name = "", version = ""] = parts;
  const shapeOk = wheel ? parts.length === 5 || parts.length === 6 : parts.length === 2;
  if (!shapeOk || !isValidName("python", name) || !samePep440(version, version)) {
    throw new PolyglotError(
      `${JSON.stringify(filename)} is not a valid ${wheel ? "wheel" : "sdist"} file name (name-version${wheel ? "-python-abi-platform.whl" : ".tar.gz"} with a PEP 440 version)`,
      {
        file,
        fix: "rebuild with current build tools (`python3 -m build`): they write the normalized names PyPI requires",
      },
    );
  }
  return {
    path: file,
    filename,
    project: normalizePythonName(name),
    version,
    kind: wheel ? "wheel" : "sdist",
  };
}

/** An sdist's version never holds a `-`; a legacy name may. */
function splitSdist(stem: string): string[] {
  const at = stem.lastIndexOf("-");
  return at <= 0 ? [stem] : [stem.slice(0, at), stem.slice(at + 1)];
}

/** The files grouped by release (same project and PEP 440 version), in command-line order. */
export function groupByRelease(files: readonly Distribution[]): DistributionGroup[] {
  const groups: DistributionGroup[] = [];
  for (const file of files) {
    const group = groups.find(
      (candidate) => candidate.project === file.project && samePep440(candidate.version, file.version),
    );
    if (group) group.files.push(file);
    else groups.push({ project: file.project, version: file.version, files: [file] });
  }
  return groups;
}
