import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import {
  type Distribution,
  isDistributionName,
  PolyglotError,
  parseDistribution,
} from "@polyglot-changesets/core";

/**
 * The distributions named on the command line: files, or folders whose `.tar.gz` / `.whl` files are taken (like
 * `dist/`). Anything else named explicitly is an error; so is a file name that is no sdist or wheel name (core's
 * PyPI rules decide).
 */
export function readDistributions(paths: readonly string[], cwd: string): Distribution[] {
  if (paths.length === 0) {
    throw new PolyglotError("pypi-upload needs the distributions to upload", {
      code: "usage",
      setting: "PATH",
      fix: "pass the built files or their folder, e.g. `polyglot-publish pypi-upload dist/`",
    });
  }
  const found = paths.flatMap((given) => filesOf(path.resolve(cwd, given), given));
  const unique = [...new Set(found)];
  if (unique.length === 0) {
    throw new PolyglotError(`no .tar.gz or .whl file in ${paths.join(", ")}`, {
      code: "usage",
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
      code: "usage",
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
      code: "usage",
      setting: "PATH",
      fix: "pass only the files `python3 -m build` writes (PyPI accepts no other kind)",
    });
  }
  return [absolute];
}
