/** The pinned POST against a real local HTTP server: it connects to the given address, whatever the name. */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { pinnedPost } from "../../src/base/pinned-post";

let server: http.Server;
let port: number;
const received: { host?: string; body: string; signature?: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ host: req.headers.host, body, signature: req.headers["x-signature"] as string | undefined });
      if (req.url === "/redirect") res.writeHead(302, { location: "http://127.0.0.1:9/inside" }).end();
      else if (req.url === "/slow") setTimeout(() => res.writeHead(204).end(), 2_000);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, address: string | null, timeoutMs = 5_000) =>
  pinnedPost({
    url: `http://hooks.rebinding.invalid:${port}${path}`,
    address,
    headers: { "x-signature": "sig" },
    body: '{"a":1}',
    timeoutMs,
  });

describe("pinnedPost", () => {
  it("connects to the pinned address although the name resolves nowhere, and sends the name as Host", async () => {
    received.length = 0;
    expect(await post("/hook", "127.0.0.1")).toEqual({ status: 204 });
    expect(received).toEqual([{ host: `hooks.rebinding.invalid:${port}`, body: '{"a":1}', signature: "sig" }]);
  });

  it("resolves the name itself when no address is pinned (and .invalid never resolves)", async () => {
    await expect(post("/hook", null)).rejects.toThrow(/ENOTFOUND|EAI_AGAIN/);
  });

  it("does not follow a redirect: the 3xx is the answer", async () => {
    expect(await post("/redirect", "127.0.0.1")).toEqual({ status: 302 });
  });

  it("gives up after its timeout", async () => {
    await expect(post("/slow", "127.0.0.1", 200)).rejects.toThrow(/abort|timeout/i);
  });
});
