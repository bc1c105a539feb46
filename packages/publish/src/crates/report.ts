import { sparseIndexBase, sparseIndexUrl } from "@polyglot-changesets/core";
import { redactUrl } from "../http.js";
import type { CratesPackage, ReportRow } from "../report.js";
import type { CratesPlan } from "./plan.js";
import type { CratesRegistry } from "./registry.js";
import type { CrateOutcome, CrateResult } from "./run.js";

export interface CratesReportPart {
  crates: boolean;
  "crates-packages": CratesPackage[];
  failed: string[];
  "published-elsewhere": string[];
  rows: ReportRow[];
}

/** crates.io's page of the version; for another registry, the crate's index file. */
export function crateLink(registry: CratesRegistry, name: string, version: string): string {
  if (registry.isCratesIo) return `https://crates.io/crates/${name}/${version}`;
  return redactUrl(sparseIndexUrl(registry.index, name));
}

const STATUS: Record<CrateOutcome, string> = {
  published: "published",
  elsewhere: "already published by another run",
  failed: "failed",
  skipped: "not published (an earlier crate failed)",
};

/** The crates part of the report after a publish. */
export function cratesReport(plan: CratesPlan, results: CrateResult[]): CratesReportPart {
  const registry = plan.registry;
  const published = results.filter((result) => result.outcome === "published");
  const id = (result: CrateResult) => `${result.release.name}@${result.release.version}`;
  return {
    crates: published.length > 0,
    "crates-packages": published.map(({ release }) => ({
      name: release.name,
      version: release.version,
      path: release.path,
    })),
    failed: results.filter((result) => result.outcome === "failed" || result.outcome === "skipped").map(id),
    "published-elsewhere": results.filter((result) => result.outcome === "elsewhere").map(id),
    rows: registry
      ? results.map((result) => ({
          package: result.release.name,
          ecosystem: "crates.io" as const,
          version: result.release.version,
          link: crateLink(registry, result.release.name, result.release.version),
          status: result.detail ? `${STATUS[result.outcome]}: ${result.detail}` : STATUS[result.outcome],
        }))
      : [],
  };
}

/** A dry run: the plan as rows, nothing published. */
export function cratesDryRunRows(plan: CratesPlan): ReportRow[] {
  const registry = plan.registry;
  if (!registry) return [];
  return plan.layers.flatMap((layer, at) =>
    layer.map((name) => {
      const release = plan.crates.find((crate) => crate.name === name);
      return {
        package: name,
        ecosystem: "crates.io" as const,
        version: release?.version ?? "",
        link: crateLink(registry, name, release?.version ?? ""),
        status: `would publish (layer ${at + 1})`,
      };
    }),
  );
}

/** The plan's lines: layer by layer, with what each crate waits for. */
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
