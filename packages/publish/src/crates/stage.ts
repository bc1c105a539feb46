import type { PublishArgs } from "../args.js";
import type { PublishReport } from "../report.js";
import type { StopOnSignal } from "../signals.js";
import { cargoChildEnv } from "./auth.js";
import type { CratesPlan } from "./plan.js";
import type { CratesPreflight } from "./preflight.js";
import { type CratesReportPart, cratesReport } from "./report.js";
import { type CrateResult, publishCrateLayers } from "./run.js";

export interface CratesStageIo {
  env: NodeJS.ProcessEnv;
  log: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * The crates stage of a publish: every layer through cargo, then the trusted-publishing token is revoked (also
 * when a crate failed or a signal stopped the run). Returns the report part; `failed` non-empty stops the release.
 */
export async function publishCratesStage(
  plan: CratesPlan,
  check: CratesPreflight,
  args: Pick<PublishArgs, "cratesWait" | "cargoFlags">,
  io: CratesStageIo,
  stopper: StopOnSignal,
): Promise<CratesReportPart> {
  if (plan.crates.length === 0 || !plan.registry || !plan.cargo.path) return cratesReport(plan, []);
  let results: CrateResult[];
  try {
    if (check.useOidc) {
      io.stderr.write(
        "polyglot-publish: publishing crates through trusted publishing; long-lived cargo tokens are kept out of cargo\n",
      );
    }
    results = await publishCrateLayers({
      crates: plan.crates,
      layers: plan.layers,
      registry: plan.registry,
      cargo: plan.cargo.path,
      env: cargoChildEnv(io.env, plan.registry, check.useOidc ? check.token : undefined),
      cargoFlags: args.cargoFlags,
      waitSeconds: args.cratesWait,
      log: io.log,
      stopper,
    });
  } finally {
    const problem = await check.release();
    if (problem) {
      io.stderr.write(
        `polyglot-publish: warning: could not revoke the trusted-publishing token (${problem}); it expires within 30 minutes\n`,
      );
    }
  }
  const part = cratesReport(plan, results);
  for (const result of results.filter((entry) => entry.outcome === "failed")) {
    io.stderr.write(
      `polyglot-publish: error: crate ${result.release.name}@${result.release.version} was not published: ${result.detail ?? "cargo failed"}\n`,
    );
  }
  return part;
}

/** A report with the crates part in front: crates go first, so their rows and outcomes lead. */
export function withCrates(report: PublishReport, part: CratesReportPart): PublishReport {
  return {
    ...report,
    crates: part.crates,
    "crates-packages": part["crates-packages"],
    failed: [...part.failed, ...report.failed],
    "published-elsewhere": [...part["published-elsewhere"], ...report["published-elsewhere"]],
    rows: [...part.rows, ...report.rows],
  };
}
