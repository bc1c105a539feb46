// `trustedPublisher` of .changeset/polyglot.json (issue 14): what was registered on the registries, read by
// polyglot-publish doctor --workflows and trust.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readPolyglotConfig } from "./config.js";
import { PolyglotError } from "./errors.js";

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })));
});

async function read(config: object): Promise<unknown> {
  const root = await mkdtemp(path.join(tmpdir(), "polyglot-trusted-"));
  roots.push(root);
  await mkdir(path.join(root, ".changeset"));
  await writeFile(path.join(root, ".changeset/polyglot.json"), `${JSON.stringify(config, null, 2)}\n`);
  return readPolyglotConfig(root).catch((error: unknown) => error);
}

describe("trustedPublisher", () => {
  it("is read as written", async () => {
    const trustedPublisher = { workflow: "release.yml", environment: "npm", repository: "acme/widgets" };
    expect(await read({ trustedPublisher })).toMatchObject({ trustedPublisher });
    expect(await read({ trustedPublisher: { workflow: ".gitlab-ci.yml" } })).toMatchObject({
      trustedPublisher: { workflow: ".gitlab-ci.yml" },
    });
  });

  it("names a misspelled key with its line and the keys allowed", async () => {
    const error = (await read({
      trustedPublisher: { workflow: "release.yml", enviroment: "npm" },
    })) as PolyglotError;
    expect(error).toBeInstanceOf(PolyglotError);
    expect(error.message).toBe('unknown setting "enviroment"');
    expect(error.line).toBe(4);
    expect(error.fix).toContain('did you mean "environment"?');
    expect(error.fix).toContain("workflow, environment, repository");
  });

  it("refuses a workflow path (npm and PyPI register the file name) and a missing workflow", async () => {
    const path_ = (await read({
      trustedPublisher: { workflow: ".github/workflows/release.yml" },
    })) as PolyglotError;
    expect(path_.setting).toBe("trustedPublisher.workflow");
    expect(path_.fix).toContain('"workflow": "release.yml"');
    const missing = (await read({ trustedPublisher: { environment: "npm" } })) as PolyglotError;
    expect(missing.message).toContain('missing the required setting "workflow"');
    expect(missing.fix).toBe('add "workflow": "release.yml" to trustedPublisher');
  });

  it("refuses an environment holding a line break", async () => {
    const error = (await read({
      trustedPublisher: { workflow: "release.yml", environment: "a\n::x" },
    })) as PolyglotError;
    expect(error.setting).toBe("trustedPublisher.environment");
  });
});
