import { sparseIndexBase, sparseIndexUrl } from "@polyglot-changesets/core";
import { redactUrl } from "../http.js";
import type { Outcome, ReportRecord } from "../report.js";
import type { CrateRelease, CratesPlan } from "./plan.js";
import type { CratesRegistry } from "./registry.js";
import type { CrateOutcome, CrateResult } from "./run.js";

/** crates.io's page of the version; for another registry, the crate's index file. */
export function crateLink(registry: CratesRegistry, name: string, version: string): string {
  if (registry.isCratesIo) return `https://crates.io/crates/${name}/${version}`;
  return redactUrl(sparseIndexUrl(registry.index, name));
}

const OUTCOME: Record<CrateOutcome, Outcome> = {
  published: "published",
  elsewhere: "published-elsewhere",
  failed: "failed",
  // Not reached because an earlier crate failed: not published, as a failure is (a re-run publishes it).
  skipped: "failed",
};

const STATUS: Record<CrateOutcome, string> = {
  published: "published",
  elsewhere: "already published by another run",
  failed: "failed",
  skipped: "not published (an earlier crate failed)",
};

/** One record per crate of the run, in publish order. */
export function crateRecords(plan: CratesPlan, results: CrateResult[]): ReportRecord[] {
  const registry = plan.registry;
  if (!registry) return [];
  return results.map((result) => ({
    ...crateRow(registry, result.release),
    outcome: OUTCOME[result.outcome],
    status: result.detail ? `${STATUS[result.outcome]}: ${result.detail}` : STATUS[result.outcome],
    crate: { name: result.release.name, version: result.release.version, path: result.release.path },
  }));
}

/** A dry run: the plan's crates, layer by layer, nothing published. */
export function crateDryRunRecords(plan: CratesPlan): ReportRecord[] {
  const registry = plan.registry;
  if (!registry) return [];
  return plan.layers.flatMap((layer, at) =>
    layer.flatMap((name) => {
      const release = plan.crates.find((crate) => crate.name === name);
      if (!release) return [];
      return [
        {
          ...crateRow(registry, release),
          outcome: "planned" as const,
          status: `would publish (layer ${at + 1})`,
        },
      ];
    }),
  );
}

function crateRow(registry: CratesRegistry, release: CrateRelease) {
  return {
    package: release.name,
    ecosystem: "crates.io" as const,
    version: release.version,
    link: crateLink(registry, release.name, release.version),
  };
}

/** The plan's lines: layer by layer. */
export function cratesPlanText(plan: CratesPlan, dryRun: boolean): string {
  if (!plan.registry || (plan.crates.length === 0 && plan.alreadyPublished.length === 0)) return "";
  const where = plan.registry.isCratesIo ? "crates.io" : redactUrl(sparseIndexBase(plan.registry.index));
  if (plan.crates.length === 0) {
    return `polyglot-publish: no crate to publish to ${where} (${plan.alreadyPublished.length} already published)\n`;
  }
  const lines = plan.layers.map((layer, at) => {
    const names = layer.map((name) => {
      const release = plan.crates.find((crate) => crate.name === name);
      return `${name}@${release?.version} (${release?.path})`;
    });
    return `  crates  layer ${at + 1}: ${names.join(", ")}`;
  });
  const verb = dryRun ? "would" : "will";
  return `polyglot-publish: ${verb} publish crates to ${where} first, layer by layer (${plan.alreadyPublished.length} already published):\n${lines.join("\n")}\n`;
}
