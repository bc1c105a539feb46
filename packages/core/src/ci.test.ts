import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  annotate,
  appendSummary,
  CommandSafeStream,
  DOTENV_OUTPUT,
  detectCi,
  dotenvName,
  formatAnnotation,
  mask,
  neutralizeWorkflowCommands,
  parseDotenvFile,
  parseOutputFile,
  setOutput,
  writeCommand,
} from "./ci.js";

function tempFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "ci-test-")), "out");
  writeFileSync(file, "");
  return file;
}

describe("setOutput", () => {
  it("writes heredoc entries that survive newlines and delimiter look-alikes", () => {
    const file = tempFile();
    const env = { GITHUB_OUTPUT: file };
    setOutput("published", "true", env);
    setOutput("notes", "line 1\nEOF\nname=injected\nline 4", env);
    const text = readFileSync(file, "utf8");
    expect(text).toMatch(/^published<<ghadelimiter_[0-9a-f]{32}\ntrue\nghadelimiter_[0-9a-f]{32}\n/);
    expect(parseOutputFile(text)).toEqual({ published: "true", notes: "line 1\nEOF\nname=injected\nline 4" });
  });

  it("uses a different delimiter each time", () => {
    const file = tempFile();
    setOutput("a", "1", { GITHUB_OUTPUT: file });
    setOutput("b", "2", { GITHUB_OUTPUT: file });
    const delimiters = readFileSync(file, "utf8").match(/ghadelimiter_[0-9a-f]+/g) ?? [];
    expect(new Set(delimiters).size).toBe(2);
  });

  it("does nothing without GITHUB_OUTPUT and rejects names that would break the file", () => {
    expect(() => setOutput("x", "1", {})).not.toThrow();
    expect(() => setOutput("a\nb", "1", { GITHUB_OUTPUT: tempFile() })).toThrow(/invalid output name/);
  });
});

describe("appendSummary", () => {
  it("appends markdown with a trailing newline", () => {
    const file = tempFile();
    appendSummary("| a |", { GITHUB_STEP_SUMMARY: file });
    appendSummary("done\n", { GITHUB_STEP_SUMMARY: file });
    expect(readFileSync(file, "utf8")).toBe("| a |\ndone\n");
  });
});

describe("mask", () => {
  it("writes ::add-mask:: per line only under GitHub Actions", () => {
    const lines: string[] = [];
    mask("s3cret\nline2", { GITHUB_ACTIONS: "true" }, (text) => lines.push(text));
    mask("s3cret", {}, (text) => lines.push(text));
    expect(lines).toEqual(["::add-mask::s3cret\n", "::add-mask::line2\n"]);
  });
});

describe("formatAnnotation", () => {
  it("escapes data and properties for the runner", () => {
    const text = formatAnnotation(
      "error",
      "100% broken\nsecond",
      { file: "a,b:c.json", line: 3 },
      { GITHUB_ACTIONS: "true" },
    );
    expect(text).toBe("::error file=a%2Cb%3Ac.json,line=3::100%25 broken%0Asecond\n");
  });

  it("is a plain line elsewhere", () => {
    expect(formatAnnotation("warning", "careful", { file: "x.json", line: 2 }, {})).toBe(
      "warning: x.json:2: careful\n",
    );
  });
});

describe("detectCi", () => {
  it("tells GitHub Actions with and without id-token: write", () => {
    const base = { GITHUB_ACTIONS: "true", GITHUB_REPOSITORY: "o/r" };
    expect(detectCi(base)).toEqual({
      provider: "github-actions",
      repository: "o/r",
      idTokenAvailable: false,
    });
    expect(
      detectCi({ ...base, ACTIONS_ID_TOKEN_REQUEST_URL: "http://x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" })
        .idTokenAvailable,
    ).toBe(true);
  });

  it("tells GitLab and no CI", () => {
    expect(detectCi({ GITLAB_CI: "true", CI_PROJECT_PATH: "g/p", NPM_ID_TOKEN: "x" })).toEqual({
      provider: "gitlab",
      repository: "g/p",
      idTokenAvailable: true,
    });
    expect(detectCi({ CI: "true" })).toEqual({ provider: "none", idTokenAvailable: false });
  });
});

describe("CommandSafeStream", () => {
  const attack =
    "ok\n::stop-commands::pwn\n  ::set-output name=x::y\r::add-mask::a\nsee ##[error]x\n\u0085::warning::w\n";

  function collect(): { stream: CommandSafeStream; text: () => string } {
    const chunks: string[] = [];
    const target = { write: (chunk: string) => chunks.push(chunk) > 0 } as unknown as NodeJS.WritableStream;
    return { stream: new CommandSafeStream(target), text: () => chunks.join("") };
  }

  it("lets no printed line start a workflow command, the way the runner reads lines", () => {
    const out = collect();
    out.stream.write(attack);
    out.stream.flush();
    const lines = out.text().split(/\r\n|\r|\n/);
    for (const line of lines) expect(line.replace(/^[\s\u0085]+/, "")).not.toMatch(/^::/);
    expect(out.text()).not.toContain("##[");
    expect(out.text()).toContain("| ::stop-commands::pwn");
  });

  it("neutralizes the same however the text is split into chunks, bytes included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("::", ":", "#", "##", "[", " ", "\n", "\r", "x", "é", "stop-commands"), {
          maxLength: 40,
        }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        (pieces, cuts, asBytes) => {
          const text = pieces.join("");
          const bytes = Buffer.from(text);
          const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
          const out = collect();
          let from = 0;
          for (const cut of [...at, bytes.length]) {
            const part = bytes.subarray(from, cut);
            out.stream.write(asBytes ? part : part.toString());
            from = cut;
          }
          out.stream.flush();
          if (asBytes) expect(out.text()).toBe(neutralizeWorkflowCommands(text));
          for (const line of out.text().split(/\r|\n/)) expect(line.trimStart()).not.toMatch(/^::/);
          expect(out.text()).not.toContain("##[");
        },
      ),
    );
  });

  it("passes the suite's own commands through writeCommand, and only those", () => {
    const out = collect();
    out.stream.write("name: x");
    writeCommand(out.stream, "::add-mask::secret\n");
    mask("token-value", { GITHUB_ACTIONS: "true" }, (line) => writeCommand(out.stream, line));
    out.stream.write("::stop-commands::x\n");
    expect(out.text()).toBe("name: x\n::add-mask::secret\n::add-mask::token-value\n| ::stop-commands::x\n");
  });

  it("masks every piece of a secret the runner would see as a line, with its data escaped", () => {
    const out = collect();
    mask("npm_abc\r::stop-commands::pwned\r\ntok%0Aen", { GITHUB_ACTIONS: "true" }, (line) =>
      writeCommand(out.stream, line),
    );
    expect(out.text()).toBe(
      "::add-mask::npm_abc\n::add-mask::::stop-commands::pwned\n::add-mask::tok%250Aen\n",
    );
  });

  it("starts a command on its own line after a partial line", () => {
    const out = collect();
    out.stream.write("child output without a newline");
    annotate("error", "real error", {}, { GITHUB_ACTIONS: "true" }, out.stream);
    expect(out.text()).toBe("child output without a newline\n::error::real error\n");
  });

  it("writes annotations as commands on GitHub Actions and as guarded text elsewhere", () => {
    const github = collect();
    annotate("error", "bad\n::stop-commands::x", { title: "t" }, { GITHUB_ACTIONS: "true" }, github.stream);
    expect(github.text()).toBe("::error title=t::bad%0A::stop-commands::x\n");
    const plain = collect();
    annotate("error", "bad\n::stop-commands::x", {}, {}, plain.stream);
    expect(plain.text()).toBe("error: bad\n| ::stop-commands::x\n");
  });
});

describe("dotenv outputs (--dotenv, GitLab's dotenv reports)", () => {
  it("writes every output as NAME=value, a later value replacing an earlier one, next to GITHUB_OUTPUT", () => {
    const dir = mkdtempSync(join(tmpdir(), "polyglot-dotenv-"));
    const dotenv = join(dir, "publish.env");
    const github = join(dir, "github-output");
    writeFileSync(github, "");
    const env = { [DOTENV_OUTPUT]: dotenv, GITHUB_OUTPUT: github };
    setOutput("published", "false", env);
    setOutput("pypi-packages", '[{"name":"a","version":"1.0"}]', env);
    setOutput("published", "true", env);
    expect(readFileSync(dotenv, "utf8")).toBe(
      'PYPI_PACKAGES=[{"name":"a","version":"1.0"}]\nPUBLISHED=true\n',
    );
    expect(parseDotenvFile(readFileSync(dotenv, "utf8"))).toEqual({
      PUBLISHED: "true",
      PYPI_PACKAGES: '[{"name":"a","version":"1.0"}]',
    });
    expect(parseOutputFile(readFileSync(github, "utf8")).published).toBe("true");
  });

  it("refuses a value with a line break rather than cut it (GitLab's dotenv has no multi-line values)", () => {
    const dotenv = join(mkdtempSync(join(tmpdir(), "polyglot-dotenv-")), "x.env");
    expect(() => setOutput("notes", "a\nINJECTED=1", { [DOTENV_OUTPUT]: dotenv })).toThrow(/line break/);
    expect(dotenvName("published-packages")).toBe("PUBLISHED_PACKAGES");
  });
});
