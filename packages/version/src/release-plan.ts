import { assembleReleasePlan } from "@changesets/assemble-release-plan";
import { readPreState } from "@changesets/pre";
import { readChangesets } from "@changesets/read";
import type { Packages, PreState } from "@changesets/types";
import { getPackages, type Packages as ManypkgPackages } from "@manypkg/get-packages";
import { PolyglotError, readChangesetFolder, readChangesetsConfig } from "@polyglot-changesets/core";
import { execa } from "execa";
import type { ChangesetVersionOptions } from "./args.js";

/** What `changeset version` is about to do, predicted with the libraries it is built from. */
export interface PredictedRelease {
  /** npm package name -> the version `changeset version` will give it. */
  versions: Map<string, string>;
  /** `changeset version` will refuse to run ("No unreleased changesets found"). */
  nothingToVersion: boolean;
  preState: PreState | undefined;
  /** `commit` of .changeset/config.json is on (and not a snapshot): changeset version commits its own files. */
  commits: boolean;
  /** `privatePackages.version` of .changeset/config.json: private packages (bridge sources) get versions. */
  versionsPrivatePackages: boolean;
}

/**
 * Predicts the release exactly as `changeset version` assembles it (config, changesets, pre state,
 * `--ignore` and `--snapshot`), without writing anything. `@changesets/get-release-plan` composes the same
 * functions but cannot take the snapshot parameters.
 */
export async function predictRelease(
  root: string,
  options: ChangesetVersionOptions,
  found?: ManypkgPackages,
): Promise<PredictedRelease> {
  try {
    return await assemble(root, options, found);
  } catch (error) {
    if (error instanceof PolyglotError) throw error;
    // A JSON error quotes the start of the text: say what failed, not what the file held.
    const reason =
      error instanceof SyntaxError
        ? "a file of .changeset/ is not valid JSON"
        : error instanceof Error
          ? error.message.split("\n")[0]
          : String(error);
    throw new PolyglotError(`changesets could not assemble the release plan: ${reason}`, {
      code: "release-plan-failed",
      file: ".changeset",
      fix: "run `changeset status` to see the problem in detail, fix it, then run polyglot-version again",
    });
  }
}

async function assemble(
  root: string,
  options: ChangesetVersionOptions,
  found: ManypkgPackages | undefined,
): Promise<PredictedRelease> {
  const manypkg = found ?? (await getPackages(root));
  // @changesets/types declares its own copy of manypkg's Packages shape.
  const packages = manypkg as unknown as Packages;
  const config = readChangesetsConfig(root, manypkg);
  // Pre state first: reading a Changesets 2 pre.json moves its changesets before they are read.
  const [preState, changesets] = await readChangesetFolder(root, async (dir) => {
    const state = await readPreState(dir);
    return [state, await readChangesets(dir)] as const;
  });
  const releaseConfig = {
    ...config,
    ignore: options.ignore.length > 0 ? options.ignore : config.ignore,
    snapshot: {
      ...config.snapshot,
      prereleaseTemplate: options.snapshotPrereleaseTemplate ?? config.snapshot.prereleaseTemplate,
    },
  };
  const snapshot = options.snapshot
    ? await snapshotParameters(root, options, releaseConfig.snapshot)
    : undefined;
  const plan = assembleReleasePlan(changesets, packages, releaseConfig, preState, snapshot);
  const versions = new Map(
    plan.releases
      .filter((release) => release.type !== "none")
      .map((release) => [release.name, release.newVersion]),
  );
  return {
    versions,
    nothingToVersion: changesets.length === 0 && preState?.mode !== "exit",
    preState,
    commits: Boolean(config.commit) && !options.snapshot,
    versionsPrivatePackages: config.privatePackages.version,
  };
}

async function snapshotParameters(
  root: string,
  options: ChangesetVersionOptions,
  snapshotConfig: { prereleaseTemplate: string | null },
): Promise<{ tag?: string; commit?: string }> {
  const tag = options.snapshot === true ? undefined : options.snapshot;
  const template = snapshotConfig.prereleaseTemplate ?? "";
  const needsCommit = template.includes("{commit}") || template.includes("{commit-short}");
  const commit = needsCommit
    ? (await execa("git", ["rev-parse", "HEAD"], { cwd: root })).stdout.trim()
    : undefined;
  return { ...(tag ? { tag } : {}), ...(commit ? { commit } : {}) };
}
