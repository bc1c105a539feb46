import { statSync } from "node:fs";

/**
 * Loaded by the CLIs' bin files before anything else, so it must run on any Node: on one older than the suite
 * needs, the CLI says so in one line instead of failing inside a dependency with a stack trace.
 */
export const MIN_NODE = "22.11.0";

/** Whether `version` (`process.versions.node`) is at least MIN_NODE. */
export function nodeIsSupported(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const [minMajor = 0, minMinor = 0] = MIN_NODE.split(".").map(Number);
  return major > minMajor || (major === minMajor && minor >= minMinor);
}

/** Exits with code 2 and one line naming the fix when the running Node is too old. */
export function requireNode(cli: string, version: string = process.versions.node): void {
  if (nodeIsSupported(version)) return;
  process.stderr.write(
    `${cli}: error: needs Node.js >= ${MIN_NODE}, but this is Node.js ${version}\n  fix: run it with Node.js 22.11 or later (e.g. actions/setup-node with node-version: 22, or the \`node\` package as a devDependency)\n`,
  );
  process.exit(2);
}

/**
 * The module a CLI's bin (at `binUrl`) loads: `dist/cli.bundle.js` (scripts/bundle-clis.mjs: one file instead of
 * ~270 modules) unless a tsc build in this repo is newer than it (`tsc -b` without the bundle step); a published
 * package has no .tsbuildinfo.
 */
export function cliEntry(binUrl: string): string {
  const mtime = (url: URL) => statSync(url, { throwIfNoEntry: false })?.mtimeMs;
  const bundle = new URL("../dist/cli.bundle.js", binUrl);
  const bundled = mtime(bundle);
  const built = [new URL("../dist/.tsbuildinfo", binUrl), new URL("../dist/.tsbuildinfo", import.meta.url)];
  const current =
    bundled !== undefined && built.map(mtime).every((time) => time === undefined || time <= bundled);
  return (current ? bundle : new URL("../dist/cli.js", binUrl)).href;
}
