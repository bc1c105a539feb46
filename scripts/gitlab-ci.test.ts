// The GitLab pipeline of the example (and the one in docs/getting-started.md) against GitLab's own CI schema, and
// the rules a release pipeline must keep: ID tokens only on the jobs that publish, in environments, no tokens.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = path.resolve(import.meta.dirname, "..");
const schema = JSON.parse(readFileSync(path.join(root, "scripts", "schemas", "gitlab-ci.json"), "utf8"));
const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
const examplePipeline = readFileSync(path.join(root, "examples", "event-forge", ".gitlab-ci.yml"), "utf8");

type Job = {
  id_tokens?: Record<string, { aud: string | string[] }>;
  environment?: string | { name: string };
  script?: string[];
  needs?: unknown[];
  variables?: Record<string, string>;
};

function schemaErrors(text: string): string[] {
  const valid = validate(parse(text));
  return valid ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
}

/** The ```yaml block of docs/getting-started.md that holds a GitLab pipeline (has `id_tokens:`). */
function docsPipeline(): string {
  const markdown = readFileSync(path.join(root, "docs", "getting-started.md"), "utf8");
  const blocks = [...markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  const pipeline = blocks.find((block) => block.includes("id_tokens:"));
  if (!pipeline)
    throw new Error("docs/getting-started.md has no GitLab pipeline snippet (a yaml block with id_tokens:)");
  return pipeline;
}

describe("GitLab's CI schema", () => {
  it("accepts the example's .gitlab-ci.yml and the docs' snippet", () => {
    expect(schemaErrors(examplePipeline)).toEqual([]);
    expect(schemaErrors(docsPipeline())).toEqual([]);
  });

  it("rejects a pipeline GitLab would reject (the lint can fail)", () => {
    const broken = examplePipeline.replace(
      "id_tokens:\n    PYPI_ID_TOKEN:\n      aud: pypi",
      "id_tokens: pypi",
    );
    expect(broken).not.toBe(examplePipeline);
    expect(schemaErrors(broken).length).toBeGreaterThan(0);
    expect(schemaErrors("publish:\n  stage: release\n  scripts: [echo]\n").length).toBeGreaterThan(0);
  });
});

describe.each([
  ["examples/event-forge/.gitlab-ci.yml", () => examplePipeline],
  ["docs/getting-started.md", docsPipeline],
])("%s", (_name, text) => {
  const jobs = () => {
    const pipeline = parse(text()) as Record<string, Job>;
    return Object.fromEntries(
      Object.entries(pipeline).filter(
        ([name, job]) => typeof job === "object" && job !== null && "script" in job && !name.startsWith("."),
      ),
    );
  };

  it("gives ID tokens only to the jobs that publish, each in an environment, with the right aud", () => {
    const withTokens = Object.entries(jobs()).filter(([, job]) => job.id_tokens);
    expect(withTokens.map(([name]) => name).sort()).toEqual(["publish-npm", "publish-pypi"]);
    for (const [, job] of withTokens) expect(job.environment).toBeDefined();
    const npm = jobs()["publish-npm"]?.id_tokens ?? {};
    expect(npm.NPM_ID_TOKEN?.aud).toBe("npm:registry.npmjs.org");
    expect(npm.SIGSTORE_ID_TOKEN?.aud).toBe("sigstore");
    expect(jobs()["publish-pypi"]?.id_tokens).toEqual({ PYPI_ID_TOKEN: { aud: "pypi" } });
  });

  it("publishes with polyglot-publish and uploads with pypi-upload, outputs passed as a dotenv report", () => {
    const all = jobs();
    expect(all["publish-npm"]?.script?.join("\n")).toMatch(/pnpm release --dotenv publish\.env/);
    expect(all["publish-pypi"]?.script?.join("\n")).toMatch(/polyglot-publish pypi-upload --oidc require/);
    expect(all["publish-pypi"]?.needs).toEqual([{ job: "publish-npm", artifacts: true }]);
    expect(all.version?.script?.join("\n")).toContain("changesets-gitlab");
    expect(all.version?.variables?.INPUT_VERSION).toBe("pnpm version-packages");
  });

  it("carries no long-lived npm or PyPI token (comments aside)", () => {
    const content = JSON.stringify(parse(text()));
    expect(content).not.toMatch(/NPM_TOKEN|NODE_AUTH_TOKEN|PYPI_API_TOKEN|TWINE_PASSWORD|_authToken/);
  });
});
