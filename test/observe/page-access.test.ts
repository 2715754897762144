/**
 * The access token over real HTTP on loopback: bearer, the one-time `?token=` and its cookie, a
 * fixed 401 everywhere but /healthz, and /healthz on an open address saying nothing personal.
 */
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { type HealthServer, healthReply, startHealthServer } from "../../src/observe/health-server.js";
import { json } from "../../src/observe/http-reply.js";
import { cookieValue } from "../../src/observe/page/page-access.js";
import { healthySnapshot, T } from "./support/snapshot.js";

const TOKEN = "s3cret-token-0123456789";
const snapshot = healthySnapshot();
let server: HealthServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(host = "127.0.0.1"): Promise<string> {
  server = await startHealthServer({
    listen: { host, port: 0 },
    snapshot: () => snapshot,
    log: silentLogger,
    token: TOKEN,
    page: {
      paths: ["/", "/status.json"],
      reply: async (path, url) =>
        json(200, { path, hours: url.searchParams.get("hours"), serial: snapshot.serial }),
    },
  });
  return `http://127.0.0.1:${server.port}`;
}

async function get(url: string, headers: Record<string, string> = {}, method: "GET" | "HEAD" = "GET") {
  const response = await request(url, { method, headers });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

const UNAUTHORIZED =
  "401 unauthorized: open this address once with ?token=YOUR-TOKEN (the content of http.tokenFile), or send Authorization: Bearer YOUR-TOKEN\n";

describe("the access token", () => {
  it("without it: the same 401 on the page, its JSON and the metrics, naming nothing of the wearer", async () => {
    const base = await start();
    for (const path of ["/", "/status.json", "/metrics", "/?hours=24", "/?token=almost-the-token-0123"]) {
      const answer = await get(`${base}${path}`);
      expect([path, answer.status, answer.body]).toEqual([path, 401, UNAUTHORIZED]);
      expect(answer.headers["www-authenticate"]).toBe('Bearer realm="sharebridge"');
    }
    expect((await get(`${base}/`, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await get(`${base}/`, { cookie: `sharebridge=${TOKEN}` })).status).toBe(401);
    expect((await get(`${base}/`, {}, "HEAD")).status).toBe(401);
  });

  it("as a bearer token: page, JSON and metrics", async () => {
    const base = await start();
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect(await get(`${base}/status.json?hours=24`, bearer)).toMatchObject({
      status: 200,
      body: '{"path":"/status.json","hours":"24","serial":"SM12345678"}\n',
    });
    expect((await get(`${base}/metrics`, bearer)).body).toContain('sharebridge_info{serial="SM12345678"} 1');
  });

  it("once as ?token=: a redirect without it, and a cookie that is not the token", async () => {
    const base = await start();
    const signIn = await get(`${base}/?hours=24&token=${TOKEN}`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers["location"]).toBe("/?hours=24");
    const cookie = String(signIn.headers["set-cookie"]);
    expect(cookie).toBe(
      `sharebridge=${cookieValue(TOKEN)}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax`,
    );
    expect(cookie).not.toContain(TOKEN);
    const page = await get(`${base}/?hours=24`, { cookie: `other=1; sharebridge=${cookieValue(TOKEN)}` });
    expect(page).toMatchObject({ status: 200, body: '{"path":"/","hours":"24","serial":"SM12345678"}\n' });
    expect((await get(`${base}/`, { cookie: `sharebridge=${cookieValue(`${TOKEN}x`)}` })).status).toBe(401);
  });

  it("/healthz stays open; on an open address without the serial or the reason's words", async () => {
    const base = await start("0.0.0.0");
    const health = await get(`${base}/healthz`);
    expect(health).toMatchObject({
      status: 200,
      body: '{"status":"ok","phase":"idle","lastSuccessAgeSeconds":60,"lastPostAgeSeconds":59,"backlog":0}\n',
    });
    const failing = healthySnapshot({
      lastSuccessAtMs: T - 700_000,
      phase: "waiting-for-operator",
      waitingFor: "the Share account's receiver assignment (SM12345678 is assigned to another account)",
      lastCycle: {
        atMs: T - 10_000,
        outcome: "share-error",
        durationMs: 20,
        error: "SM12345678 is elsewhere",
      },
    });
    expect(healthReply(failing, { open: true })).toEqual({
      status: 503,
      body: {
        status: "unhealthy",
        reason: "the last successful sync cycle was 700 s ago (limit 600 s, two reading intervals)",
        phase: "waiting-for-operator",
        lastSuccessAgeSeconds: 700,
        lastPostAgeSeconds: 59,
        backlog: 0,
      },
    });
    // On loopback it keeps the serial and the words, as before.
    expect(JSON.stringify(healthReply(failing))).toContain("SM12345678 is assigned to another account");
  });
});
