import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ChangesetsPlanEntry } from "./changeset.js";
import type { NpmRelease, PublishPlan } from "./plan.js";
import type { StopOnSignal } from "./signals.js";

export interface PackOptions {
  root: string;
  env: Record<string, string | undefined>;
  stderr: NodeJS.WritableStream;
  stopper?: StopOnSignal;
}

/**
 * Why `changeset pack` itself must pack this plan (one line), or undefined when one `npm pack` of every folder
 * makes the same tarballs: Changesets packs an npm workspace with `npm pack <dir> --pack-destination <out>`
 * per package; npm packs a list of folders the same way, one after the other, in one process.
 */
export function whyChangesetsPacks(plan: PublishPlan): string | undefined {
  if (plan.tool !== "npm") return `the ${plan.tool} workspace is packed by changeset pack's own tool choice`;
  const tarballs = new Set<string>();
  for (const release of plan.npm) {
    const dir = path.join(plan.root, release.relativeDir);
    if (existsSync(path.join(dir, ".npmrc")))
      return `${release.relativeDir}/.npmrc may configure its own npm pack`;
    const tarball = tarballName(release.name, release.version);
    if (tarballs.has(tarball)) return `two packages would pack to ${tarball}`;
    tarballs.add(tarball);
  }
  return undefined;
}

/** `changeset pack`'s file name of a tarball (npm names it the same). */
function tarballName(name: string, version: string): string {
  return `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;
}

/** Where `changeset pack` packs a package from: its `publishConfig.directory`, else its folder. */
function packDirOf(root: string, release: NpmRelease): string {
  const dir = path.join(root, release.relativeDir);
  const publishConfig = release.packageJson.publishConfig as { directory?: unknown } | undefined;
  return typeof publishConfig?.directory === "string" ? path.resolve(dir, publishConfig.directory) : dir;
}

/**
 * Packs every npm release of `plan` with one `npm pack` and writes `packDir` exactly as `changeset pack
 * --from-publish-plan --out-dir packDir` does (tarballs under `packages/`, `publish-plan.json` with each tarball's
 * path and sha256 integrity), so `changeset publish --from-pack-dir` publishes it in its own order and chunks.
 * Returns the exit code (npm's when it fails).
 */
export async function packWithOneNpm(
  plan: PublishPlan,
  changesetsPlan: ChangesetsPlanEntry[][],
  packDir: string,
  options: PackOptions,
): Promise<number> {
  const packagesDir = path.join(packDir, "packages");
  mkdirSync(packagesDir, { recursive: true });
  const dirs = plan.npm.map((release) => packDirOf(plan.root, release));
  const result = await runNpmPack(dirs, packagesDir, options);
  if (result.exitCode !== 0) {
    options.stderr.write(
      `${result.stderr}\npolyglot-publish: npm pack of ${dirs.length} packages failed (exit ${result.exitCode})\n`,
    );
    return result.exitCode;
  }
  const packed = parsePackOutput(result.stdout);
  const tarballs = new Map<string, { path: string; integrity: string }>();
  for (const release of plan.npm) {
    const entry = packed.find((item) => item.name === release.name && item.version === release.version);
    if (!entry) {
      options.stderr.write(`polyglot-publish: npm pack did not report ${release.name}@${release.version}\n`);
      return 1;
    }
    const file = path.join(packagesDir, path.basename(entry.filename));
    const integrity = `sha256-${createHash("sha256").update(readFileSync(file)).digest("base64")}`;
    tarballs.set(`${release.name}@${release.version}`, {
      path: path.posix.join("packages", path.basename(entry.filename)),
      integrity,
    });
  }
  const packedPlan = changesetsPlan.map((chunk) =>
    chunk.map((entry) =>
      entry.kind === "publish"
        ? { ...entry, tarball: tarballs.get(`${entry.name}@${entry.version}`) }
        : entry,
    ),
  );
  writeFileSync(
    path.join(packDir, "publish-plan.json"),
    JSON.stringify({ version: 1, plan: packedPlan }, undefined, 2),
  );
  return 0;
}

interface PackedEntry {
  name: string;
  version: string;
  filename: string;
}

/** npm prints lifecycle script output before its JSON array: the array is the last `[` at a line start. */
function parsePackOutput(stdout: string): PackedEntry[] {
  const start = stdout.lastIndexOf("\n[") >= 0 ? stdout.lastIndexOf("\n[") + 1 : stdout.indexOf("[");
  try {
    const json = JSON.parse(stdout.slice(start)) as unknown;
    if (!Array.isArray(json)) return [];
    return json.filter(
      (item): item is PackedEntry =>
        typeof item?.name === "string" &&
        typeof item?.version === "string" &&
        typeof item?.filename === "string",
    );
  } catch {
    return [];
  }
}

function runNpmPack(
  dirs: readonly string[],
  destination: string,
  options: PackOptions,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  if (options.stopper?.signal)
    return Promise.resolve({ exitCode: options.stopper.exitCode(), stdout: "", stderr: "" });
  return new Promise((resolve) => {
    const child = spawn("npm", ["pack", ...dirs, "--pack-destination", destination, "--json"], {
      cwd: options.root,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid !== undefined) options.stopper?.track(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (error) => resolve({ exitCode: 1, stdout, stderr: `${stderr}${error.message}` }));
    child.on("close", (code) => {
      if (child.pid !== undefined) options.stopper?.untrack(child.pid);
      resolve({ exitCode: code ?? 1, stdout, stderr });
    });
  });
}
