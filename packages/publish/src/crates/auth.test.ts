import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchangeForCratesToken } from "./auth.js";
import type { CratesRegistry } from "./registry.js";

// A registry answering the exchange with a token but not a success (a faulty or hostile registry).
const requests: { method: string; authorization?: string }[] = [];
let answer: { status: number; body: object } = {
  status: 500,
  body: { token: "cio_leftOverToken0123456789", errors: [{ detail: "boom" }] },
};
const server = createServer((request, response) => {
  requests.push({
    method: request.method ?? "",
    ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
  });
  request.resume();
  request.on("end", () => {
    if (request.method === "DELETE") {
      response.writeHead(204).end();
      return;
    }
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.body));
  });
});
let registry: CratesRegistry;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  registry = {
    cargoName: "polyglot-crates",
    index: `sparse+${api}/index/`,
    api,
    tokenEnv: "CARGO_REGISTRIES_POLYGLOT_CRATES_TOKEN",
    audience: "127.0.0.1",
    cargoEnv: {},
    isCratesIo: false,
  };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("exchangeForCratesToken", () => {
  it("revokes a token that came with a failed answer instead of leaving it valid, and reports the failure", async () => {
    const written: string[] = [];
    const outcome = await exchangeForCratesToken(registry, "eyJ.id.token", {}, (text) => written.push(text));
    expect(outcome).toEqual({ ok: false, detail: 'HTTP 500: "boom"', refused: false });
    expect(requests).toEqual([
      { method: "POST" },
      { method: "DELETE", authorization: "Bearer cio_leftOverToken0123456789" },
    ]);
    expect(written.join("")).not.toContain("cio_leftOverToken0123456789");
  });

  it('masks nothing for a value that is not token-shaped (a hostile "a" would hide every a of the log)', async () => {
    answer = { status: 200, body: { token: "a" } };
    requests.length = 0;
    const written: string[] = [];
    const env = { GITHUB_ACTIONS: "true" };
    const outcome = await exchangeForCratesToken(registry, "eyJ.id.token", env, (text) => written.push(text));
    expect(outcome.ok).toBe(false);
    expect(written.join("")).not.toContain("add-mask");
  });
});
