import { StringDecoder } from "node:string_decoder";
import {
  type CargoPublishFlag,
  cargoPublishArgs,
  isAlreadyPublishedMessage,
} from "@polyglot-changesets/core";
import { execa } from "execa";
import { redactSecrets } from "../http.js";
import type { StopOnSignal } from "../signals.js";
import { type CrateVersions, fetchCrateVersions } from "./index.js";
import type { CrateRelease } from "./plan.js";
import type { CratesRegistry } from "./registry.js";

/** `published`: by this run; `elsewhere`: the version appeared by another hand meanwhile; `skipped`: not tried. */
export type CrateOutcome = "published" | "elsewhere" | "failed" | "skipped";

export interface CrateResult {
  release: CrateRelease;
  outcome: CrateOutcome;
  /** Why it failed (cargo's reason, or the wait that ran out). */
  detail?: string;
  /** Which failure: cargo's, or the index that did not show the version in time. */
  code?: "crates-publish-error" | "crates-not-visible";
}

export interface CratesRunOptions {
  crates: CrateRelease[];
  layers: string[][];
  registry: CratesRegistry;
  cargo: string;
  /** The cargo child's environment (cargoChildEnv). */
  env: Record<string, string | undefined>;
  /** cargo's own flags, passed only when asked: `--no-verify`, `--allow-dirty`. */
  cargoFlags: readonly CargoPublishFlag[];
  /** `--crates-wait`: how long each layer may take to show up in the index. */
  waitSeconds: number;
  /** Where cargo's output goes (redacted). */
  log: NodeJS.WritableStream;
  stopper?: StopOnSignal;
  lookup?: (index: string, name: string) => Promise<CrateVersions>;
  sleep?: (ms: number) => Promise<void>;
}

const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 5_000;

/**
 * Publishes layer by layer with `cargo publish -p`: a layer's crates one after another, then a wait until each is
 * in the index, then the next layer. The first failure stops the run (the rest is `skipped`): a re-run publishes
 * only what the index lacks.
 */
export async function publishCrateLayers(options: CratesRunOptions): Promise<CrateResult[]> {
  const byName = new Map(options.crates.map((release) => [release.name, release]));
  const results = new Map<string, CrateResult>();
  const lookup = options.lookup ?? fetchCrateVersions;
  let stopped = false;
  for (const layer of options.layers) {
    const releases = layer.map((name) => byName.get(name)).filter((release) => release !== undefined);
    if (stopped) {
      for (const release of releases) results.set(release.name, { release, outcome: "skipped" });
      continue;
    }
    const published: CrateRelease[] = [];
    for (const release of releases) {
      if (stopped || options.stopper?.signal) {
        results.set(release.name, { release, outcome: "skipped" });
        continue;
      }
      const result = await publishOne(release, options, lookup);
      results.set(release.name, result);
      if (result.outcome === "published") published.push(release);
      if (result.outcome === "failed") stopped = true;
    }
    if (stopped) continue;
    const late = await waitUntilVisible(published, options, lookup);
    for (const [release, detail] of late) {
      results.set(release.name, { release, outcome: "failed", detail, code: "crates-not-visible" });
      stopped = true;
    }
  }
  // In publish order: layer by layer.
  return options.layers
    .flat()
    .map((name) => byName.get(name))
    .filter((release) => release !== undefined)
    .map((release) => results.get(release.name) ?? { release, outcome: "skipped" });
}

async function publishOne(
  release: CrateRelease,
  options: CratesRunOptions,
  lookup: (index: string, name: string) => Promise<CrateVersions>,
): Promise<CrateResult> {
  // Another run may have published it since the plan: then cargo has nothing to do.
  if (await isVisible(release, options.registry, lookup)) return { release, outcome: "elsewhere" };
  const args = cargoPublishArgs(release.name, options.registry.cargoName, options.cargoFlags);
  options.log.write(`polyglot-publish: cargo ${args.join(" ")} (${release.path})\n`);
  const child = execa(options.cargo, args, {
    cwd: release.dir,
    env: options.env,
    extendEnv: false,
    reject: false,
    all: true,
    stdin: "ignore",
    detached: true,
  });
  if (child.pid !== undefined) options.stopper?.track(child.pid);
  const redacted = lineRedactor(options.log);
  child.all?.on("data", redacted.write);
  const result = await child;
  redacted.end();
  if (child.pid !== undefined) options.stopper?.untrack(child.pid);
  if (result.exitCode === 0) return { release, outcome: "published" };
  const output = String(result.all ?? "");
  // "already exists" (cargo's own check, or the registry's answer): a skip when the index has the version.
  if (isAlreadyPublishedMessage(output) && (await isVisible(release, options.registry, lookup))) {
    return { release, outcome: "elsewhere" };
  }
  return {
    release,
    outcome: "failed",
    detail: failureReason(output, result.exitCode),
    code: "crates-publish-error",
  };
}

/**
 * Writes child output to `log` line by line, redacted: a secret split across two chunks (or a character split
 * across two reads) is whole again before the redaction sees it.
 */
function lineRedactor(log: NodeJS.WritableStream): { write: (chunk: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  return {
    write: (chunk) => {
      pending += decoder.write(chunk);
      const end = pending.lastIndexOf("\n") + 1;
      if (end === 0) return;
      log.write(redactSecrets(pending.slice(0, end)));
      pending = pending.slice(end);
    },
    end: () => {
      pending += decoder.end();
      if (pending) log.write(redactSecrets(pending));
      pending = "";
    },
  };
}

async function isVisible(
  release: CrateRelease,
  registry: CratesRegistry,
  lookup: (index: string, name: string) => Promise<CrateVersions>,
): Promise<boolean> {
  try {
    return (await lookup(registry.index, release.name)).versions.has(release.version);
  } catch {
    return false;
  }
}

/** Polls with backoff until every crate is in the index; returns those still missing at the deadline. */
async function waitUntilVisible(
  releases: CrateRelease[],
  options: CratesRunOptions,
  lookup: (index: string, name: string) => Promise<CrateVersions>,
): Promise<Array<[CrateRelease, string]>> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = Date.now() + options.waitSeconds * 1000;
  let missing = releases;
  for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
    const visible = await Promise.all(missing.map((release) => isVisible(release, options.registry, lookup)));
    missing = missing.filter((_, at) => !visible[at]);
    if (missing.length === 0 || options.stopper?.signal) break;
    if (Date.now() + delay > deadline) break;
    await sleep(delay);
  }
  return missing.map((release) => [
    release,
    `published, but not in the index after ${options.waitSeconds} s (--crates-wait): its dependents were not published`,
  ]);
}

/** cargo's error lines (the `error:` line and its causes), redacted and bounded. */
function failureReason(output: string, exitCode: number | undefined): string {
  const lines = output.split("\n").map((line) => line.trim());
  const start = lines.findIndex((line) => line.startsWith("error"));
  const reason = (start === -1 ? lines.slice(-3) : lines.slice(start))
    .filter((line) => line !== "" && line !== "Caused by:")
    .join(": ");
  return redactSecrets(reason || `cargo exited with ${exitCode}`).slice(0, 500);
}
