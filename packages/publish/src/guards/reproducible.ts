import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import { bundledNpm } from "../npm-cli.js";
import type { NpmRelease } from "../plan.js";
import type { Finding } from "../preflight.js";
import { shownPath } from "./shown.js";
import { differingFiles, integrityOf } from "./tarball.js";

export interface PackResult {
  tarball: Buffer;
  integrity: string;
}

/**
 * `npm pack` of one package into a temp folder (prepack scripts run, as in the publish); the tarball's bytes.
 * The bundled npm packs both times, so only the package itself can make the two differ.
 */
export async function packOnce(dir: string, env: NodeJS.ProcessEnv): Promise<PackResult> {
  const out = mkdtempSync(path.join(tmpdir(), "polyglot-pack-"));
  try {
    const result = await execa(
      process.execPath,
      [bundledNpm().cli, "pack", "--pack-destination", out, "--json", "--foreground-scripts=false"],
      { cwd: dir, env, extendEnv: false, reject: false, timeout: 300_000, stdin: "ignore" },
    );
    const file = readdirSync(out).find((name) => name.endsWith(".tgz"));
    if (result.exitCode !== 0 || !file) {
      throw new Error(
        `npm pack failed (exit ${result.exitCode}): ${result.stderr.trim().split("\n").slice(-3).join(" ")}`,
      );
    }
    const tarball = readFileSync(path.join(out, file));
    return { tarball, integrity: integrityOf(tarball) };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const LISTED = 10;

/** The `packages-reproducible` gate: each package packed twice must give the same bytes. */
export async function reproducibleFindings(
  root: string,
  releases: readonly NpmRelease[],
  env: NodeJS.ProcessEnv,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  // One package after the other: a pack runs the package's scripts, and the runner has few cores.
  for (const release of releases) {
    const dir = path.join(root, release.relativeDir);
    const file = path.posix.join(release.relativeDir, "package.json");
    let first: PackResult;
    let second: PackResult;
    try {
      first = await packOnce(dir, env);
      second = await packOnce(dir, env);
    } catch (error) {
      findings.push({
        code: "pack-failed",
        level: "error",
        package: release.name,
        message: `${release.name} could not be packed: ${(error as Error).message}`,
        fix: `run \`npm pack\` in ${release.relativeDir} and fix what it reports`,
        file,
      });
      continue;
    }
    if (first.integrity === second.integrity) continue;
    const files = differingFiles(first.tarball, second.tarball).map((name) => name.replace(/^package\//, ""));
    const listed = files.slice(0, LISTED).map(shownPath).join(", ");
    const more = files.length > LISTED ? ` and ${files.length - LISTED} more` : "";
    findings.push({
      code: "package-not-reproducible",
      level: "error",
      package: release.name,
      message: `${release.name} packed twice gives two different tarballs: ${files.length > 0 ? `${listed}${more} differ` : "the file list or metadata differs"} (a timestamp, an absolute path or non-deterministic codegen in a build or prepack script)`,
      fix: `make the files reproducible (no dates or absolute paths; sort generated output), or drop --reproducible to publish anyway`,
      file,
    });
  }
  if (findings.length === 0 && releases.length > 0) {
    findings.push({
      code: "packages-reproducible",
      level: "info",
      message: `${releases.length} package(s) packed twice gave identical tarballs`,
    });
  }
  return findings;
}
