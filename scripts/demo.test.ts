// The proof that `pnpm demo` works from a fresh clone: runs scripts/demo.mjs as a child (the packages must be
// built, as `pnpm test` does first) and checks its exit code, the summary table and the registries' agreement.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanLines, parseGithubOutput, redact, secret, table } from "./demo/lib.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DEMO = join(ROOT, "scripts", "demo.mjs");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runDemo(args: string[] = []): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

/** Debian's build tools, as the demo looks for them (without them the PyPI upload is skipped, exit still 0). */
const pythonBuilds =
  spawnSync("/usr/bin/python3", ["-c", "import build, hatchling"], { stdio: "ignore" }).status === 0;

describe("pnpm demo (scripts/demo.mjs)", () => {
  let demo: Run;

  beforeAll(async () => {
    demo = await runDemo(pythonBuilds ? [] : ["--skip-pypi"]);
    if (demo.code !== 0) {
      // The whole output, so a failure in CI says which step broke.
      process.stderr.write(`demo exited ${demo.code}\n${demo.stdout}\n${demo.stderr}\n`);
    }
  }, 300_000);

  it("exits 0 after the seven numbered steps", () => {
    expect(demo.code).toBe(0);
    for (let n = 1; n <= 7; n++) expect(demo.stdout).toContain(`[${n}/7] `);
    expect(demo.stdout).toMatch(/Demo done in \d+\.\d s \(steps 1: /);
  });

  it("versions the Python package with core: pyproject.toml and __init__.py diffs", () => {
    expect(demo.stdout).toContain("| +++ b/packages/python/pyproject.toml");
    expect(demo.stdout).toContain('| -version = "1.0.0"');
    expect(demo.stdout).toContain('| +version = "1.1.0"');
    expect(demo.stdout).toContain("| +++ b/packages/python/src/event_forge/__init__.py");
    expect(demo.stdout).toContain('| +__version__ = "1.1.0"');
  });

  it("publishes through OIDC: every publish PUT carried an exchanged token", () => {
    expect(demo.stdout).toMatch(/registry: (\d+) OIDC token exchange\(s\), \1 granted/);
    expect(demo.stdout).toContain("registry: 2 publish PUT(s), 2 authorized by an exchanged OIDC token");
    expect(demo.stdout).toContain("published=true");
    expect(demo.stdout).toContain("pypi=true");
    expect(demo.stdout).toContain("Sigstore");
  });

  it("prints the table of what landed where", () => {
    const row = (name: string, ecosystem: string, version: string) =>
      new RegExp(
        `\\| ${name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} +\\| ${ecosystem} +\\| ${version.replace(/[.()]/g, "\\$&")} +\\| (http://127\\.0\\.0\\.1:\\d+/|-) +\\|`,
      );
    expect(demo.stdout).toMatch(/\| package +\| ecosystem +\| version +\| registry +\|/);
    expect(demo.stdout).toMatch(row("@event-forge/inbox-outbox-core", "npm", "1.1.0"));
    expect(demo.stdout).toMatch(row("@event-forge/inbox-outbox-rabbitmq", "npm", "1.1.0"));
    expect(demo.stdout).toMatch(
      row("event-forge-inbox-outbox", "PyPI", pythonBuilds ? "1.1.0" : "1.1.0 (not built)"),
    );
  });

  it("checks the table against npm view and the PyPI JSON API", () => {
    const rows = pythonBuilds ? 3 : 2;
    expect(demo.stdout).toContain(
      `agree: npm view and the PyPI JSON API report every version in the table (${rows} of ${rows})`,
    );
    expect(demo.stdout).not.toContain("MISMATCH");
    if (pythonBuilds) {
      expect(demo.stdout).toContain("ok       GET /pypi/event-forge-inbox-outbox/json -> 1.1.0");
      expect(demo.stdout).toContain("PyPI: 1 token(s) minted, 2 file(s) accepted");
      // The job's upload is polyglot-publish pypi-upload; its re-run mints and uploads nothing.
      expect(demo.stdout).toContain("authenticated by trusted publishing (GitHub Actions)");
      expect(demo.stdout).toContain("PyPI: still 1 token(s) minted");
    }
  });

  it("prints no token and removes its temp dir", () => {
    const output = demo.stdout + demo.stderr;
    expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/); // JWTs: ID tokens, registry tokens
    expect(output).not.toMatch(/pypi-[\w-]{20,}/); // minted PyPI tokens
    expect(output).not.toContain("::add-mask::");
    const tmp = /(\S*polyglot-demo-[^/\s]+)\/repo/.exec(demo.stdout)?.[1];
    expect(tmp).toBeDefined();
    expect(existsSync(tmp as string)).toBe(false);
  });
});

describe("pnpm demo without a Python that can build", () => {
  it("stops before anything runs and names the command that installs the tools", async () => {
    const demo = await runDemo(["--python", "/nonexistent/python3"]);
    expect(demo.code).toBe(2);
    expect(demo.stderr).toContain(
      "the PyPI half of the demo needs Python build tools: /nonexistent/python3 does not exist",
    );
    expect(demo.stderr).toContain(
      "fix: as root, bash scripts/install-python-tools.sh (apt-get install -y python3-build python3-hatchling twine python3-venv)",
    );
    expect(demo.stderr).toContain("--skip-pypi");
    expect(demo.stdout).not.toContain("[1/");
  });

  it("with --skip-pypi: skips the build and upload, says why, and still exits 0", async () => {
    const demo = await runDemo(["--skip-pypi"]);
    if (demo.code !== 0) process.stderr.write(`${demo.stdout}\n${demo.stderr}\n`);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain("build of event-forge-inbox-outbox 1.1.0 skipped: --skip-pypi was given");
    expect(demo.stdout).toMatch(/\| event-forge-inbox-outbox +\| PyPI +\| 1\.1\.0 \(not built\) +\| - +\|/);
    expect(demo.stdout).toContain(
      "agree: npm view and the PyPI JSON API report every version in the table (2 of 2); PyPI upload skipped",
    );
  }, 300_000);
});

describe("demo usage", () => {
  it("--help exits 0, an unknown argument exits 2", async () => {
    const help = await runDemo(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--keep");
    const bad = await runDemo(["--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown argument: --nope");
  });
});

/** A system Node older than 22.11 (Node 20 on these machines), to check the re-run on the workspace's Node. */
const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((node) => {
  const version = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" }).stdout?.trim();
  const [major = 99, minor = 0] = (version ?? "").split(".").map(Number);
  return version && (major < 22 || (major === 22 && minor < 11));
});

describe.skipIf(!oldNode)("demo on an older system Node", () => {
  it("runs itself again on the workspace's Node 22", () => {
    const result = spawnSync(oldNode as string, [DEMO, "--help"], { cwd: ROOT, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: node scripts/demo.mjs");
    const bad = spawnSync(oldNode as string, [DEMO, "--nope"], { cwd: ROOT, encoding: "utf8" });
    expect(bad.status).toBe(2);
  });
});

describe("demo helpers", () => {
  it("parses GITHUB_OUTPUT lines and heredocs", () => {
    const text =
      'published=true\npublished-packages<<ghadelim_1\n[{"name":"a",\n"version":"1"}]\nghadelim_1\n';
    expect(parseGithubOutput(text)).toEqual({
      published: "true",
      "published-packages": '[{"name":"a",\n"version":"1"}]',
    });
  });

  it("applies ::add-mask:: as the runner does and strips ANSI escapes", () => {
    const lines = cleanLines("::add-mask::sekrit-value-123\n\u001b[32mok\u001b[0m sekrit-value-123\n\n");
    expect(lines).toEqual(["ok sekrit-value-123"]);
    expect(redact(lines[0] as string)).toBe("ok ***");
    secret("another-secret-456");
    expect(redact("x another-secret-456 y")).toBe("x *** y");
  });

  it("draws a fixed-width table", () => {
    expect(
      table([
        ["a", "bb"],
        ["ccc", "d"],
      ]),
    ).toBe("| a   | bb |\n|-----|----|\n| ccc | d  |");
  });
});
