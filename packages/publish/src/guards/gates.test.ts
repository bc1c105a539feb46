import { describe, expect, it } from "vitest";
import type { PublishPlan } from "../plan.js";
import type { Finding } from "../preflight.js";
import { gateLine, outcomeGates, preflightGates } from "./gates.js";

const plan = {
  npm: [{ name: "@a/b" }],
  alreadyPublished: ["@a/c@1.0.0", "@a/d@2.0.0"],
  pypi: [],
  pypiLookupErrors: ["index down"],
} as unknown as PublishPlan;

describe("preflightGates", () => {
  it("turns the findings into one line per gate: failed, passed, or skipped with the reason", () => {
    const findings: Finding[] = [
      { code: "tree-dirty", level: "error", message: "the working tree differs: a.ts (modified)" },
      { code: "trusted-publisher-ok", level: "info", package: "@a/b", message: "ok" },
    ];
    expect(preflightGates(findings, plan).map(gateLine)).toEqual([
      "[ ] Tree clean: FAILED: the working tree differs: a.ts (modified)",
      "[-] Packages reproducible: skipped: not checked (off by default: --reproducible turns it on)",
      "[x] Versions free on npm: 1 to publish; 2 already on the registry (skipped, never overwritten)",
      "[-] Versions free on PyPI: skipped: the index did not answer: the PyPI job's pypi-check decides",
      "[x] Trusted publishers OK: 1 package(s) accepted by their trusted publisher",
    ]);
  });

  it("fails the reproducible and trusted-publisher gates on their findings", () => {
    const findings: Finding[] = [
      { code: "tree-clean", level: "info", message: "the working tree is clean" },
      { code: "package-not-reproducible", level: "error", package: "@a/b", message: "differs" },
      { code: "trusted-publisher-mismatch", level: "error", package: "@a/b", message: "no" },
    ];
    const gates = preflightGates(findings, undefined);
    expect(gates.map((gate) => [gate.gate, gate.state])).toEqual([
      ["tree-clean", "pass"],
      ["packages-reproducible", "fail"],
      ["trusted-publishers", "fail"],
    ]);
  });
});

describe("outcomeGates", () => {
  it("reports the read-back, the smoke test, staging and the URLs", () => {
    const gates = outcomeGates({
      verifications: [
        { name: "@a/b", version: "1.0.0", url: "u", problems: ["the registry does not serve this version"] },
      ],
      smoke: { ok: false, failedAt: "install", exitCode: 1, tail: "" },
      staged: [{ name: "@a/b", version: "1.0.0", stageId: "id" }],
      urls: 0,
    });
    expect(gates.map(gateLine)).toEqual([
      "[x] Staged, awaiting approval: 1 version(s) staged, none live until approved",
      "[ ] Published and verified: FAILED: @a/b@1.0.0: the registry does not serve this version",
      "[ ] Smoke test: FAILED: the install from the registry failed (exit 1)",
      "[-] URLs: skipped: none",
    ]);
  });
});
