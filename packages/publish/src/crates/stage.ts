import type { PublishArgs } from "../args.js";
import type { ReportRecord } from "../report.js";
import type { StopOnSignal } from "../signals.js";
import { cargoChildEnv } from "./auth.js";
import type { CratesPlan } from "./plan.js";
import type { CratesPreflight } from "./preflight.js";
import { crateRecords } from "./report.js";
import { type CrateResult, publishCrateLayers } from "./run.js";

export interface CratesStageIo {
  env: NodeJS.ProcessEnv;
  log: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * The crates stage of a publish: every layer through cargo, then the trusted-publishing token is revoked (also
 * when a crate failed or a signal stopped the run). Returns the crates' records; a failed one stops the release.
 */
export async function publishCratesStage(
  plan: CratesPlan,
  check: CratesPreflight,
  args: Pick<PublishArgs, "cratesWait" | "cargoFlags">,
  io: CratesStageIo,
  stopper: StopOnSignal,
): Promise<ReportRecord[]> {
  if (plan.crates.length === 0 || !plan.registry || !plan.cargo.path) return [];
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
        `polyglot-publish: warning: [crates-revoke-failed] could not revoke the trusted-publishing token (${problem}); it expires within 30 minutes\n`,
      );
    }
  }
  for (const result of results.filter((entry) => entry.outcome === "failed")) {
    io.stderr.write(
      `polyglot-publish: error: [${result.code ?? "crates-publish-error"}] crate ${result.release.name}@${result.release.version} was not published: ${result.detail ?? "cargo failed"}\n`,
    );
  }
  return crateRecords(plan, results);
}
