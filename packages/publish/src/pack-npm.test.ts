// One `npm pack` of every folder against `changeset pack --from-publish-plan`: the same tarballs (byte for byte)
// and the same publish-plan.json, on one npm workspace with scoped names, lifecycle scripts, `files` and
// `publishConfig.directory`.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { TempRepo } from "@polyglot-changesets/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspaceRepo, npmPackage } from "./__fixtures__/harness.js";
import { toChangesetsPlan } from "./changeset.js";
import { packWithOneNpm, whyChangesetsPacks } from "./pack-npm.js";
import type { NpmRelease, PublishPlan } from "./plan.js";

let repo: TempRepo;
const cliBin = path.resolve(import.meta.dirname, "../../../node_modules/@changesets/cli/bin.js");

const PACKAGES = {
  "packages/core/package.json": npmPackage("@acme/core", "1.2.0", {
    files: ["index.js", "built.txt"],
    scripts: { prepack: "node -e \"require('fs').writeFileSync('built.txt','from prepack\\n')\"" },
  }),
  "packages/core/index.js": "export const core = 1;\n",
  "packages/core/notes.md": "not in files\n",
  "packages/cli/package.json": npmPackage("acme-cli", "0.3.0", {
    dependencies: { "@acme/core": "^1.2.0" },
    bin: { acme: "bin.js" },
  }),
  "packages/cli/bin.js": "#!/usr/bin/env node\nconsole.log('acme');\n",
  "packages/dist-dir/package.json": npmPackage("@acme/dist-dir", "2.0.0", {
    publishConfig: { directory: "out" },
  }),
  "packages/dist-dir/out/package.json": npmPackage("@acme/dist-dir", "2.0.0"),
  "packages/dist-dir/out/main.js": "module.exports = 2;\n",
};

function release(name: string, version: string, relativeDir: string): NpmRelease {
  const packageJson = JSON.parse(readFileSync(path.join(repo.dir, relativeDir, "package.json"), "utf8"));
  return {
    name,
    version,
    registry: "http://127.0.0.1:1/",
    access: "public",
    distTag: "latest",
    gitTag: `${name}@${version}`,
    firstPublish: true,
    relativeDir,
    packageJson,
  };
}

function planOf(tool: PublishPlan["tool"]): PublishPlan {
  return {
    root: repo.dir,
    tool,
    npm: [
      release("@acme/core", "1.2.0", "packages/core"),
      release("acme-cli", "0.3.0", "packages/cli"),
      release("@acme/dist-dir", "2.0.0", "packages/dist-dir"),
    ],
    tagOnly: [],
    untagged: [],
    pypi: [],
    alreadyPublished: [],
    order: [["@acme/core", "@acme/dist-dir"], ["acme-cli"]],
    pypiIndex: "",
    pypiLookupErrors: [],
  };
}

const env = { ...process.env } as Record<string, string | undefined>;

beforeAll(async () => {
  repo = await createWorkspaceRepo({
    "package.json": { name: "root", private: true, workspaces: ["packages/*"] },
    "package-lock.json": { name: "root", lockfileVersion: 3, requires: true, packages: {} },
    ...PACKAGES,
  });
});
afterAll(async () => {
  await repo?.cleanup();
});

/** Every file of a pack folder: tarball bytes as base64, the plan as text. */
function packFolder(dir: string): Record<string, string> {
  const out: Record<string, string> = {
    "publish-plan.json": readFileSync(path.join(dir, "publish-plan.json"), "utf8"),
  };
  for (const file of readdirSync(path.join(dir, "packages")))
    out[`packages/${file}`] = readFileSync(path.join(dir, "packages", file)).toString("base64");
  return out;
}

describe("packWithOneNpm", () => {
  it("makes the tarballs and publish-plan.json of `changeset pack`, byte for byte", async () => {
    const plan = planOf("npm");
    expect(whyChangesetsPacks(plan)).toBeUndefined();
    const changesetsPlan = { version: 1, plan: toChangesetsPlan(plan) };
    const planFile = path.join(repo.dir, "..", `${path.basename(repo.dir)}-plan.json`);
    writeFileSync(planFile, JSON.stringify(changesetsPlan));
    const bareDir = `${repo.dir}-bare-pack`;
    const cli = spawnSync(
      process.execPath,
      [cliBin, "pack", "--from-publish-plan", planFile, "--out-dir", bareDir],
      {
        cwd: repo.dir,
        env,
        encoding: "utf8",
      },
    );
    expect(cli.status, cli.stderr + cli.stdout).toBe(0);
    await repo.git("clean", "-fdxq", "-e", "node_modules");
    const oursDir = `${repo.dir}-our-pack`;
    const stderr: string[] = [];
    const sink = { write: (text: string) => stderr.push(text) > 0 } as unknown as NodeJS.WritableStream;
    const code = await packWithOneNpm(plan, changesetsPlan.plan, oursDir, {
      root: repo.dir,
      env,
      stderr: sink,
    });
    expect(code, stderr.join("")).toBe(0);
    const ours = packFolder(oursDir);
    expect(Object.keys(ours).sort()).toEqual([
      "packages/acme-cli-0.3.0.tgz",
      "packages/acme-core-1.2.0.tgz",
      "packages/acme-dist-dir-2.0.0.tgz",
      "publish-plan.json",
    ]);
    expect(ours).toEqual(packFolder(bareDir));
    for (const dir of [bareDir, oursDir, planFile]) spawnSync("rm", ["-rf", dir]);
  });

  it("names npm's failure and returns its exit code, with nothing half-planned", async () => {
    const plan = planOf("npm");
    const broken = { ...plan, npm: [{ ...plan.npm[0]!, relativeDir: "packages/missing" }] };
    const stderr: string[] = [];
    const sink = { write: (text: string) => stderr.push(text) > 0 } as unknown as NodeJS.WritableStream;
    const out = `${repo.dir}-broken-pack`;
    const code = await packWithOneNpm(broken, toChangesetsPlan(broken), out, {
      root: repo.dir,
      env,
      stderr: sink,
    });
    expect(code).not.toBe(0);
    expect(stderr.join("")).toContain("npm pack of 1 packages failed");
    expect(readdirSync(out)).toEqual(["packages"]);
    spawnSync("rm", ["-rf", out]);
  });
});

describe("whyChangesetsPacks", () => {
  it("leaves pnpm, yarn and tool-less workspaces to changeset pack", () => {
    expect(whyChangesetsPacks(planOf("pnpm"))).toBe(
      "the pnpm workspace is packed by changeset pack's own tool choice",
    );
    expect(whyChangesetsPacks(planOf("root"))).toMatch(/^the root workspace/);
  });

  it("leaves a package with its own .npmrc, and two packages packing to one file name, to changeset pack", async () => {
    await repo.write({ "packages/cli/.npmrc": "tag-version-prefix=x\n" });
    expect(whyChangesetsPacks(planOf("npm"))).toBe("packages/cli/.npmrc may configure its own npm pack");
    spawnSync("rm", [path.join(repo.dir, "packages/cli/.npmrc")]);
    const plan = planOf("npm");
    const clash = {
      ...plan,
      npm: [...plan.npm, { ...plan.npm[0]!, name: "acme-core", relativeDir: "packages/core" }],
    };
    expect(whyChangesetsPacks(clash)).toBe("two packages would pack to acme-core-1.2.0.tgz");
  });
});
