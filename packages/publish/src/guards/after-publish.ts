import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PackedTarball } from "../changeset.js";
import { NpmConfig, readNpmrcFiles } from "../npmrc.js";
import type { PublishPlan } from "../plan.js";
import { npmLink, type PublishReport, pypiLink } from "../report.js";
import { cleanPublishEnv } from "../tokens.js";
import type { RunOutcome } from "./gates.js";
import { shownPath } from "./shown.js";
import { runSmoke } from "./smoke.js";
import { verifyPublished } from "./verify.js";

/** One published artifact: where people see it and (npm) the tarball the registry serves. */
export interface ArtifactUrl {
  ecosystem: "npm" | "PyPI" | "crates.io";
  name: string;
  version: string;
  url: string;
  tarball?: string;
  /** `handed-off`: the PyPI job publishes it (the URL is where it will be). */
  state: "published" | "handed-off";
}

export interface AfterPublishOptions {
  plan: PublishPlan;
  report: PublishReport;
  packed: readonly PackedTarball[];
  /** Provenance was asked for (OIDC publish with provenance on): `dist.attestations` must be there. */
  provenance: boolean;
  anonymousReads: boolean;
  smoke?: string;
  env: NodeJS.ProcessEnv;
  log: NodeJS.WritableStream;
}

export interface AfterPublish {
  outcome: RunOutcome;
  urls: ArtifactUrl[];
  /** A check failed: the run ends with exit 1 (what is published stays; the fix is a new patch or a rollback). */
  failed: boolean;
}

/** Reads back every npm version this run published, runs `--smoke`, and lists the artifact URLs. */
export async function afterPublish(options: AfterPublishOptions): Promise<AfterPublish> {
  const { plan, report } = options;
  const ours = new Set(report["published-packages"].map(({ name, version }) => `${name}@${version}`));
  const published = plan.npm.filter((release) => ours.has(`${release.name}@${release.version}`));
  const npmConfig = new NpmConfig(readNpmrcFiles(plan.root, options.env), options.env);
  const verifications = await verifyPublished(
    published.map((release) => {
      const packed = options.packed.find(
        (entry) => entry.name === release.name && entry.version === release.version,
      );
      return {
        name: release.name,
        version: release.version,
        registry: release.registry,
        ...(packed ? { integrity: packed.integrity } : {}),
      };
    }),
    {
      provenance: options.provenance,
      authorizationFor: (registry) =>
        options.anonymousReads ? undefined : npmConfig.authorizationFor(registry),
    },
  );
  for (const entry of verifications) {
    const line =
      entry.problems.length === 0
        ? `polyglot-publish: verified ${entry.name}@${entry.version} on the registry (integrity equals the packed tarball)\n`
        : `polyglot-publish: error: ${entry.name}@${entry.version} read back from the registry: ${entry.problems.join("; ")}\n`;
    options.log.write(line);
  }
  const smoke =
    options.smoke && published.length > 0
      ? await smokeTest(
          options,
          published.map(({ name, version }) => ({ name, version })),
        )
      : undefined;
  const urls: ArtifactUrl[] = [
    ...published.map((release): ArtifactUrl => {
      const tarball = verifications.find((entry) => entry.name === release.name)?.tarball;
      return {
        ecosystem: "npm",
        name: release.name,
        version: release.version,
        url: npmLink(release.registry, release.name, release.version),
        ...(tarball ? { tarball } : {}),
        state: "published",
      };
    }),
    ...report["pypi-packages"].map(
      (entry): ArtifactUrl => ({
        ecosystem: "PyPI",
        name: entry.name,
        version: entry.version,
        url: pypiLink(plan.pypiIndex, entry.name, entry.version),
        state: "handed-off",
      }),
    ),
  ];
  const failed = verifications.some((entry) => entry.problems.length > 0) || smoke?.ok === false;
  return { outcome: { verifications, ...(smoke ? { smoke } : {}), urls: urls.length }, urls, failed };
}

async function smokeTest(options: AfterPublishOptions, packages: { name: string; version: string }[]) {
  const workDir = mkdtempSync(path.join(tmpdir(), "polyglot-smoke-env-"));
  try {
    // Under OIDC the project's token lines are blanked and token variables dropped, as for the publish.
    const files = readNpmrcFiles(options.plan.root, options.env);
    const clean = options.anonymousReads
      ? cleanPublishEnv(options.env, files, workDir)
      : { env: options.env, npmArgs: [] };
    options.log.write(
      `polyglot-publish: smoke test: installing ${packages.map(({ name, version }) => `${name}@${version}`).join(", ")} from the registry into a temp project\n`,
    );
    const result = await runSmoke({
      root: options.plan.root,
      packages,
      command: options.smoke ?? "",
      env: clean.env,
      npmArgs: clean.npmArgs,
    });
    if (result.ok) options.log.write("polyglot-publish: smoke test passed\n");
    else {
      const step =
        result.failedAt === "install" ? "installing the published packages" : "the --smoke command";
      options.log.write(
        `polyglot-publish: error: smoke test failed: ${step} exited ${result.exitCode}; what it printed last:\n${result.tail
          .split("\n")
          .map((line) => `  | ${line}`)
          .join(
            "\n",
          )}\n  fix: the published packages are live: deprecate them (polyglot-publish rollback ${shownPath(packages[0]?.version ?? "")}) and release a fixed patch\n`,
      );
    }
    return result;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
