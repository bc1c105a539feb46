import { assembleReleasePlan } from "@changesets/assemble-release-plan";
import { readConfig } from "@changesets/config";
import { readPreState } from "@changesets/pre";
import { readChangesets } from "@changesets/read";
import type { Packages, PreState } from "@changesets/types";
import { getPackages, type Packages as ManypkgPackages } from "@manypkg/get-packages";
import { PolyglotError } from "@polyglot-changesets/core";
import { execa } from "execa";
import type { ChangesetVersionOptions } from "./args.js";

/** What `changeset version` is about to do, predicted with the libraries it is built from. */
export interface PredictedRelease {
  /** npm package name -> the version `changeset version` will give it. */
  versions: Map<string, string>;
  /** `changeset version` will refuse to run ("No unreleased changesets found"). */
  nothingToVersion: boolean;
  preState: PreState | undefined;
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
  // @changesets/types declares its own copy of manypkg's Packages shape.
  const packages = (found ?? (await getPackages(root))) as unknown as Packages;
  const configResult = await readConfig(root, packages);
  if (configResult.config === undefined) {
    throw new PolyglotError(`invalid configuration: ${configResult.errors.join("; ")}`, {
      file: ".changeset/config.json",
      fix: "fix .changeset/config.json (run `changeset version` alone to see its full message)",
    });
  }
  const config = configResult.config;
  const [changesets, preState] = await Promise.all([readChangesets(root), readPreState(root)]);
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
