import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PolyglotError } from "@polyglot-changesets/core";
import { integrityOf } from "./guards/tarball.js";
import { packWithOneNpm, whyChangesetsPacks } from "./pack-npm.js";
import type { PublishPlan } from "./plan.js";
import type { StopOnSignal } from "./signals.js";

/** An entry of Changesets' publish plan file (`{version: 1, plan: Entry[][]}`). */
export type ChangesetsPlanEntry =
  | { kind: "publish"; name: string; version: string; access: string; tag: string }
  | { kind: "tag-only"; name: string; version: string };

/** A `CHANGESETS_OUTPUT` NDJSON event. */
export interface GitTagEvent {
  type: "git-tag";
  tag: string;
  packageName: string;
}

export interface ChangesetRun {
  exitCode: number;
  events: GitTagEvent[];
  /** The tarballs Changesets packed for this run (what the registry must now serve). */
  packed?: PackedTarball[];
}

/** One tarball of `changeset pack`: its file and npm's `dist.integrity` (sha512) of its bytes. */
export interface PackedTarball {
  name: string;
  version: string;
  file: string;
  integrity: string;
}

/** Our plan in Changesets' format: dependency-ordered chunks of publish and tag-only entries. */
export function toChangesetsPlan(plan: PublishPlan): ChangesetsPlanEntry[][] {
  const npm = new Map(plan.npm.map((release) => [release.name, release]));
  const tagOnly = new Map(plan.tagOnly.map((release) => [release.name, release]));
  return plan.order
    .map((chunk) =>
      chunk.flatMap((name): ChangesetsPlanEntry[] => {
        const release = npm.get(name);
        if (release) {
          return [
            { kind: "publish", name, version: release.version, access: release.access, tag: release.distTag },
          ];
        }
        const tag = tagOnly.get(name);
        return tag ? [{ kind: "tag-only", name, version: tag.version }] : [];
      }),
    )
    .filter((chunk) => chunk.length > 0);
}

/** How to start the repo's own Changesets CLI: its `bin.js` on this Node. */
export function resolveChangesetCli(root: string): string {
  try {
    return createRequire(path.join(root, "package.json")).resolve("@changesets/cli/bin.js");
  } catch {
    throw new PolyglotError("the repo has no @changesets/cli installed", {
      code: "changesets-cli-missing",
      file: "package.json",
      fix: "add @changesets/cli (v3) to the root devDependencies and install",
    });
  }
}

export interface RunOptions {
  root: string;
  env: Record<string, string | undefined>;
  /** Temp folder of this run (plan file, tarballs); the caller removes it. */
  workDir: string;
  /** Where Changesets appends its NDJSON events: the caller's `CHANGESETS_OUTPUT`, else a temp file. */
  outputFile: string;
  /** Child output goes here (stderr under --json keeps stdout parseable). */
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Stops the child's process group on SIGTERM/SIGINT. */
  stopper?: StopOnSignal;
  /** `--no-git-tag`: Changesets creates no tags (and so reports no `git-tag` events). */
  gitTag?: boolean;
  /** `--stage`: pack only; the caller stages the tarballs (`packed`) before `workDir` is removed. */
  stage?: boolean;
}

/**
 * Hands Changesets exactly our plan: `changeset pack --from-publish-plan` (only when something is to be
 * published), then `changeset publish --from-pack-dir`, which publishes and tags without asking the registry again.
 */
export async function runChangesetPublish(plan: PublishPlan, options: RunOptions): Promise<ChangesetRun> {
  const cli = resolveChangesetCli(options.root);
  const work = options.workDir;
  const packDir = path.join(work, "pack");
  const planFile = path.join(work, "plan.json");
  const changesetsPlan = { version: 1, plan: toChangesetsPlan(plan) };
  writeFileSync(planFile, `${JSON.stringify(changesetsPlan, null, 2)}\n`);
  const run = (args: string[]) => runChangesetCli(cli, args, options);

  let packed: PackedTarball[] = [];
  if (plan.npm.length > 0) {
    const exitCode = whyChangesetsPacks(plan)
      ? await run(["pack", "--from-publish-plan", planFile, "--out-dir", packDir])
      : await packWithOneNpm(plan, changesetsPlan.plan, packDir, options);
    if (exitCode !== 0 || options.stopper?.signal) return { exitCode: exitCode || 1, events: [] };
    packed = packedTarballs(packDir);
    if (options.stage) return { exitCode: 0, events: [], packed };
  } else {
    mkdirSync(packDir, { recursive: true });
    writeFileSync(path.join(packDir, "publish-plan.json"), JSON.stringify(changesetsPlan));
  }
  const offset = existsSync(options.outputFile) ? statSync(options.outputFile).size : 0;
  const exitCode = await run([
    "publish",
    "--from-pack-dir",
    packDir,
    ...(options.gitTag === false ? ["--no-git-tag"] : []),
  ]);
  return { exitCode, events: readEvents(options.outputFile, offset), packed };
}

/** The tarballs listed in the pack folder's `publish-plan.json`, with npm's integrity of each. */
export function packedTarballs(packDir: string): PackedTarball[] {
  const written = JSON.parse(readFileSync(path.join(packDir, "publish-plan.json"), "utf8")) as {
    plan: { kind: string; name: string; version: string; tarball?: { path: string } }[][];
  };
  return written.plan.flat().flatMap((entry) => {
    if (entry.kind !== "publish" || !entry.tarball) return [];
    const file = path.resolve(packDir, entry.tarball.path);
    if (!file.startsWith(packDir + path.sep)) return [];
    return [{ name: entry.name, version: entry.version, file, integrity: integrityOf(readFileSync(file)) }];
  });
}

/**
 * Runs one `changeset` command as the leader of its own process group, with the watchdog preloaded and its stdin
 * a pipe from us: `stopper` can stop the whole group on SIGTERM/SIGINT, and the watchdog kills it when we die.
 */
function runChangesetCli(cli: string, args: string[], options: RunOptions): Promise<number> {
  if (options.stopper?.signal) return Promise.resolve(options.stopper.exitCode());
  return new Promise((resolve) => {
    const watchdog = existsSync(WATCHDOG_FILE) ? ["--import", pathToFileURL(WATCHDOG_FILE).href] : [];
    const child = spawn(process.execPath, [...watchdog, cli, ...args], {
      cwd: options.root,
      env: {
        ...options.env,
        CHANGESETS_OUTPUT: options.outputFile,
        POLYGLOT_PUBLISH_WORKDIR: options.workDir,
      },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid !== undefined) options.stopper?.track(child.pid);
    child.stdout.pipe(options.stdout, { end: false });
    child.stderr.pipe(options.stderr, { end: false });
    child.on("error", (error) => {
      options.stderr.write(`polyglot-publish: could not start changeset ${args[0]}: ${error.message}\n`);
      resolve(1);
    });
    child.on("close", (code, signal) => {
      if (child.pid !== undefined) options.stopper?.untrack(child.pid);
      child.stdin.destroy();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 15) : 15));
    });
  });
}

const WATCHDOG_FILE = fileURLToPath(new URL("./watchdog.js", import.meta.url));

/** The `git-tag` events appended to `file` after byte `offset`. */
export function readEvents(file: string, offset: number): GitTagEvent[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file).subarray(offset).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .flatMap((line) => {
      try {
        const event = JSON.parse(line) as Partial<GitTagEvent>;
        return event.type === "git-tag" && event.tag && event.packageName ? [event as GitTagEvent] : [];
      } catch {
        return [];
      }
    });
}
