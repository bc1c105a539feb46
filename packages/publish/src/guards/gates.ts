import type { PublishPlan } from "../plan.js";
import type { Finding } from "../preflight.js";
import type { SmokeResult } from "./smoke.js";
import type { Verification } from "./verify.js";

/** One line of the release manager's table: a gate, whether it passed, and what it saw. */
export interface Gate {
  gate: GateId;
  state: "pass" | "fail" | "skip";
  detail: string;
}

export type GateId =
  | "tree-clean"
  | "packages-reproducible"
  | "npm-versions-free"
  | "pypi-versions-free"
  | "trusted-publishers"
  | "published-verified"
  | "smoke"
  | "staged"
  | "urls";

export const GATE_LABELS: Record<GateId, string> = {
  "tree-clean": "Tree clean",
  "packages-reproducible": "Packages reproducible",
  "npm-versions-free": "Versions free on npm",
  "pypi-versions-free": "Versions free on PyPI",
  "trusted-publishers": "Trusted publishers OK",
  "published-verified": "Published and verified",
  smoke: "Smoke test",
  staged: "Staged, awaiting approval",
  urls: "URLs",
};

/** What the run after the preflight found (absent in doctor and dry runs). */
export interface RunOutcome {
  verifications: Verification[];
  smoke?: SmokeResult;
  staged?: { name: string; version: string; stageId?: string; error?: string }[];
  urls: number;
}

/** The gates of the preflight, from its findings and the plan. */
export function preflightGates(findings: readonly Finding[], plan: PublishPlan | undefined): Gate[] {
  const has = (code: string) => findings.filter((finding) => finding.code === code);
  const gates: Gate[] = [];
  const dirty = has("tree-dirty").find((finding) => finding.level === "error");
  const snapshot = has("tree-dirty").find((finding) => finding.level === "warning");
  const clean = has("tree-clean")[0];
  gates.push(
    dirty
      ? { gate: "tree-clean", state: "fail", detail: dirty.message }
      : snapshot
        ? { gate: "tree-clean", state: "skip", detail: snapshot.message }
        : clean
          ? { gate: "tree-clean", state: "pass", detail: clean.message }
          : {
              gate: "tree-clean",
              state: "skip",
              detail: "not checked (nothing to publish, or no git checkout)",
            },
  );
  const unreproducible = [...has("package-not-reproducible"), ...has("pack-failed")];
  const reproducible = has("packages-reproducible")[0];
  gates.push(
    unreproducible.length > 0
      ? {
          gate: "packages-reproducible",
          state: "fail",
          detail: unreproducible.map((finding) => finding.package).join(", "),
        }
      : reproducible
        ? { gate: "packages-reproducible", state: "pass", detail: reproducible.message }
        : {
            gate: "packages-reproducible",
            state: "skip",
            detail: "not checked (off by default: --reproducible turns it on)",
          },
  );
  if (plan) {
    gates.push({
      gate: "npm-versions-free",
      state: "pass",
      detail: `${plan.npm.length} to publish; ${plan.alreadyPublished.length} already on the registry (skipped, never overwritten)`,
    });
    gates.push(
      plan.pypiLookupErrors.length > 0
        ? {
            gate: "pypi-versions-free",
            state: "skip",
            detail: "the index did not answer: the PyPI job's pypi-check decides",
          }
        : {
            gate: "pypi-versions-free",
            state: "pass",
            detail: `${plan.pypi.length} PyPI release(s) not on the index yet`,
          },
    );
  }
  const mismatched = [...has("trusted-publisher-mismatch"), ...has("oidc-token-failed")];
  const trusted = has("trusted-publisher-ok");
  gates.push(
    mismatched.length > 0
      ? {
          gate: "trusted-publishers",
          state: "fail",
          detail: mismatched.map((finding) => finding.package).join(", "),
        }
      : trusted.length > 0
        ? {
            gate: "trusted-publishers",
            state: "pass",
            detail: `${trusted.length} package(s) accepted by their trusted publisher`,
          }
        : {
            gate: "trusted-publishers",
            state: "skip",
            detail: "not checked (no OIDC ID token, or no existing package)",
          },
  );
  return gates;
}

/** The gates of the publish itself: read-back, smoke test, staging, URLs. */
export function outcomeGates(outcome: RunOutcome): Gate[] {
  const gates: Gate[] = [];
  if (outcome.staged) {
    const failed = outcome.staged.filter((entry) => !entry.stageId);
    gates.push({
      gate: "staged",
      state: failed.length > 0 ? "fail" : "pass",
      detail:
        failed.length > 0
          ? `not staged: ${failed.map((entry) => `${entry.name}@${entry.version}`).join(", ")}`
          : `${outcome.staged.length} version(s) staged, none live until approved`,
    });
  }
  const bad = outcome.verifications.filter((entry) => entry.problems.length > 0);
  gates.push(
    outcome.verifications.length === 0
      ? { gate: "published-verified", state: "skip", detail: "nothing published by this run" }
      : bad.length > 0
        ? {
            gate: "published-verified",
            state: "fail",
            detail: bad
              .map((entry) => `${entry.name}@${entry.version}: ${entry.problems.join("; ")}`)
              .join(" / "),
          }
        : {
            gate: "published-verified",
            state: "pass",
            detail: `${outcome.verifications.length} version(s) read back: present, integrity equals the packed tarball`,
          },
  );
  if (outcome.smoke) {
    gates.push(
      outcome.smoke.ok
        ? { gate: "smoke", state: "pass", detail: "installed from the registry; the command passed" }
        : {
            gate: "smoke",
            state: "fail",
            detail: `the ${outcome.smoke.failedAt === "install" ? "install from the registry" : "command"} failed (exit ${outcome.smoke.exitCode})`,
          },
    );
  }
  gates.push({
    gate: "urls",
    state: outcome.urls > 0 ? "pass" : "skip",
    detail: outcome.urls > 0 ? `${outcome.urls} artifact URL(s) in the \`urls\` output` : "none",
  });
  return gates;
}

/** A gate as a plain line: `[x] Tree clean: ...`. */
export function gateLine(gate: Gate): string {
  const box = gate.state === "pass" ? "[x]" : gate.state === "fail" ? "[ ]" : "[-]";
  const state = gate.state === "fail" ? "FAILED: " : gate.state === "skip" ? "skipped: " : "";
  return `${box} ${GATE_LABELS[gate.gate]}: ${state}${gate.detail}`;
}
