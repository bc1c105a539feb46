// doctor --workflows on fixture CI files: each misconfiguration of issue 14 is a finding on its own line. The
// expected lines are marked in the fixtures with `# expect: <finding id>`, so the test cannot drift from them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readPolyglotConfig } from "@polyglot-changesets/core";
import { describe, expect, it } from "vitest";
import type { Finding } from "../preflight.js";
import { checkCiFiles, parseYamlFile, readCiFiles, type WorkflowContext, workflowContext } from "./index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/** `[id, line]` of every `# expect: id` marker. */
function expected(file: string, text: string): [string, string, number][] {
  return text
    .split("\n")
    .flatMap((line, index) =>
      [...line.matchAll(/# expect: ([\w-]+)/g)].map((match): [string, string, number] => [
        file,
        match[1] as string,
        index + 1,
      ]),
    );
}

const located = (findings: Finding[]) =>
  findings
    .filter((finding) => finding.level !== "info")
    .map((finding): [string, string, number] => [finding.file ?? "", finding.code, finding.line ?? 0]);

const BROKEN_RELEASE = `name: Release
on:
  push:
    branches: [main]
  pull_request_target: # expect: workflow-untrusted-trigger
permissions:
  contents: write
  id-token: write # expect: workflow-id-token-everywhere
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pnpm test
  release:
    runs-on: ubuntu-latest
    permissions: # expect: workflow-id-token-missing
      contents: write
    environment: production # expect: workflow-trusted-publisher-mismatch
    steps:
      - uses: actions/checkout@v4 # expect: workflow-persist-credentials
      - uses: actions/setup-node@v4
        with:
          node-version: 22
          registry-url: https://registry.npmjs.org # expect: workflow-registry-url
      - run: npm install -g npm@10.9.0 # expect: workflow-old-npm
      - name: Publish
        uses: changesets/action@v1
        with:
          publish: pnpm ci:publish
        env:
          GITHUB_TOKEN: \${{ secrets.GITHUB_TOKEN }}
          NODE_AUTH_TOKEN: \${{ secrets.NPM_TOKEN }} # expect: workflow-npm-token
`;

const REUSABLE_PYPI = `name: PyPI
on: # expect: workflow-pypi-reusable
  workflow_call:
permissions: {}
jobs:
  upload: # expect: workflow-pypi-other-file
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@master # expect: workflow-pypi-action-unpinned
        with:
          password: \${{ secrets.PYPI_TOKEN }} # expect: workflow-pypi-password
`;

const context: WorkflowContext = {
  scripts: { "ci:publish": "pnpm publish -r --access public", release: "polyglot-publish" },
  trustedPublisher: { workflow: "release.yml", environment: "npm" },
};

describe("doctor --workflows", () => {
  it("flags each misconfiguration of a release workflow on its line", () => {
    const files = [
      parseYamlFile(".github/workflows/release.yml", BROKEN_RELEASE),
      parseYamlFile(".github/workflows/pypi.yml", REUSABLE_PYPI),
    ];
    const findings = checkCiFiles(files, context);
    const want = [
      ...expected(".github/workflows/release.yml", BROKEN_RELEASE),
      ...expected(".github/workflows/pypi.yml", REUSABLE_PYPI),
    ];
    expect(want).toHaveLength(12);
    expect(located(findings).sort()).toEqual(want.sort());
    for (const finding of findings) expect(finding.fix, finding.code).toMatch(/\w{3}/);
  });

  it("compares the workflow file name with the registered trusted publisher", () => {
    const text = BROKEN_RELEASE.replace("environment: production", "environment: npm");
    const findings = checkCiFiles([parseYamlFile(".github/workflows/publish.yml", text)], context);
    const mismatch = findings.filter((finding) => finding.code === "workflow-trusted-publisher-mismatch");
    expect(mismatch.map((finding) => finding.message)).toEqual([
      expect.stringContaining("registered for the workflow release.yml"),
    ]);
    expect(mismatch[0]?.line).toBe(text.split("\n").indexOf("  release:") + 1);
  });

  it("asks for the trustedPublisher section when it is missing, and finds nothing else in the example", () => {
    const file = ".github/workflows/release.yml";
    const text = readFileSync(path.join(ROOT, "examples/event-forge", file), "utf8");
    const scripts = { "version-packages": "polyglot-version", release: "polyglot-publish" };
    const without = checkCiFiles([parseYamlFile(file, text)], { scripts });
    expect(without.map((finding) => [finding.code, finding.level])).toEqual([
      ["workflow-trusted-publisher-unrecorded", "info"],
    ]);
    expect(without[0]?.fix).toContain('"trustedPublisher": { "workflow": "release.yml" }');
    const recorded = { scripts, trustedPublisher: { workflow: "release.yml" } };
    expect(checkCiFiles([parseYamlFile(file, text)], recorded)).toEqual([]);
  });

  it.each(["event-forge", "x0x"])(
    "finds nothing in examples/%s with its recorded trusted publisher",
    async (name) => {
      const dir = path.join(ROOT, "examples", name);
      const config = await readPolyglotConfig(dir);
      expect(config.trustedPublisher).toEqual({ workflow: "release.yml" });
      const rootPackageJson = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
      const files = readCiFiles(dir);
      expect(files.map((file) => file.file)).toContain(".github/workflows/release.yml");
      expect(checkCiFiles(files, workflowContext(config, rootPackageJson))).toEqual([]);
    },
  );

  it("checks the recorded publisher against the CI whose file it names, else against every CI file", () => {
    const dir = path.join(ROOT, "examples", "event-forge");
    const files = readCiFiles(dir);
    const gitlab = files.filter((file) => file.file === ".gitlab-ci.yml");
    expect(gitlab).toHaveLength(1);
    const scripts = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).scripts;
    // release.yml is not among these files: the GitLab pipeline is compared with it and does not match
    const codes = checkCiFiles(gitlab, { scripts, trustedPublisher: { workflow: "release.yml" } }).map(
      (finding) => finding.code,
    );
    expect(codes).toContain("workflow-trusted-publisher-mismatch");
  });

  it("reports invalid YAML with its line, and a CI without a publishing job as info", () => {
    const broken = parseYamlFile(".github/workflows/ci.yml", "on: push\njobs:\n  a: [\n");
    expect(located(checkCiFiles([broken], context))).toEqual([
      [".github/workflows/ci.yml", "workflow-yaml-invalid", expect.any(Number)],
    ]);
    const checks = parseYamlFile(
      ".github/workflows/ci.yml",
      "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pnpm test\n",
    );
    expect(checkCiFiles([checks], context).map((finding) => finding.code)).toEqual([
      "workflow-no-release-job",
    ]);
  });

  it("follows package scripts to the publish and ignores subcommands that publish nothing", () => {
    const job = (run: string) =>
      `on: push\npermissions: {}\njobs:\n  p:\n    runs-on: x\n    steps:\n      - run: ${run}\n`;
    const ids = (run: string, scripts: Record<string, string> = {}) =>
      checkCiFiles([parseYamlFile(".github/workflows/release.yml", job(run))], { scripts }).map(
        (f) => f.code,
      );
    expect(ids("pnpm exec polyglot-publish pypi-check")).toEqual(["workflow-no-release-job"]);
    expect(ids("pnpm exec polyglot-publish doctor --workflows")).toEqual(["workflow-no-release-job"]);
    expect(ids("npm run ship", { ship: "npm run go", go: "changeset publish" })).toContain(
      "workflow-id-token-missing",
    );
    expect(ids("npm run ship", { ship: "echo hi" })).toEqual(["workflow-no-release-job"]);
    expect(ids("pnpm build && pnpm publish -r --dry-run")).toEqual(["workflow-no-release-job"]);
    expect(ids("pnpm build && pnpm publish -r")).toContain("workflow-id-token-missing");
  });

  it("checks .gitlab-ci.yml: id_tokens, npm token variables, the trusted publisher", () => {
    const pipeline = `stages: [release]
variables:
  NPM_TOKEN: abc # expect: workflow-npm-token
release:
  stage: release
  environment: npm
  script: # expect: workflow-id-token-missing
    - npx polyglot-publish
`;
    const gitlab = { scripts: {}, trustedPublisher: { workflow: ".gitlab-ci.yml", environment: "npm" } };
    const findings = checkCiFiles([parseYamlFile(".gitlab-ci.yml", pipeline)], gitlab);
    // the missing id token points at the job (its key line)
    const want = expected(".gitlab-ci.yml", pipeline).map(([file, id, line]): [string, string, number] =>
      id === "workflow-id-token-missing" ? [file, id, 4] : [file, id, line],
    );
    expect(located(findings).sort()).toEqual(want.sort());
    const fixed = pipeline
      .replace("  NPM_TOKEN: abc # expect: workflow-npm-token\n", "  GIT_DEPTH: 0\n")
      .replace(
        "  environment: npm\n",
        "  environment: npm\n  id_tokens:\n    NPM_ID_TOKEN:\n      aud: npm:registry.npmjs.org\n",
      );
    expect(checkCiFiles([parseYamlFile(".gitlab-ci.yml", fixed)], gitlab)).toEqual([]);
  });
});
