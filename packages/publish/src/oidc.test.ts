import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkExchange, fetchIdToken, isTokenShaped } from "./oidc.js";

// A registry and an ID-token endpoint that answer a "token" holding a line break and a workflow command.
const hostile = "npm_abc\r::stop-commands::pwned";
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    response.writeHead(request.method === "POST" ? 201 : 200, { "content-type": "application/json" });
    response.end(JSON.stringify(request.method === "POST" ? { token: hostile } : { value: hostile }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("tokens from the CI and the registry", () => {
  it("are printable ASCII, or refused", () => {
    expect(isTokenShaped("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")).toBe(true);
    expect(isTokenShaped("npm_0123abc")).toBe(true);
    expect(isTokenShaped(hostile)).toBe(false);
    expect(isTokenShaped("a b")).toBe(false);
  });

  it("refuses a minted token with a line break, and masks it piece by piece as the runner splits it", async () => {
    const commands: string[] = [];
    const result = await checkExchange(url, "@x/a", "id-token", { GITHUB_ACTIONS: "true" }, (line) => {
      commands.push(line);
    });
    expect(result).toEqual({ status: "error", detail: expect.stringContaining("not a token") });
    expect(commands).toEqual(["::add-mask::npm_abc\n", "::add-mask::::stop-commands::pwned\n"]);
  });

  it("refuses such an ID token and says why", async () => {
    const reasons: string[] = [];
    const env = {
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: `${url}token?x=1`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: "r",
    };
    const token = await fetchIdToken(
      env,
      "npm:127.0.0.1",
      () => {},
      (reason) => reasons.push(reason),
    );
    expect(token).toBeUndefined();
    expect(reasons).toEqual([expect.stringContaining("not a token")]);
  });
});
