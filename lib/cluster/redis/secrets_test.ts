/**
 * What a node writes about its sessions in Redis: with resume on, only the hash of each resume
 * secret, so whoever reads Redis cannot take a session over; with resume off, nothing a rebuild
 * would need, since no node rebuilds then. Nodes run in-process, built as the server builds them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis, redisMissing } from "../../../tests/redis_server.ts";
import { eventually } from "../../../tests/helpers.ts";
import { DEFAULTS } from "../../server/config.ts";
import { silentLogger } from "../../server/log.ts";
import { createServices, type Services } from "../../server/services.ts";
import type { Session } from "../../hub/session.ts";
import type { ValidRequest } from "../../protocol/validate.ts";
import { createHash } from "node:crypto";
import { NODES, nodeSessions, sessionKey, SESSIONS } from "./keys.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function startNode(redis: Redis, nodeId: string, resumeTtlMs: number) {
  const services = await createServices(
    { ...DEFAULTS, redisUrl: redis.url, nodeId, nodeTtlMs: 1000, chatRate: 0, resumeTtlMs },
    silentLogger,
  );
  await services.hub.start();
  return Object.assign(services, { [Symbol.asyncDispose]: () => services.close() });
}

interface Client {
  session: Session;
  frames: { type: string; data: Record<string, unknown> }[];
  welcome: Record<string, unknown>;
}

async function connect(node: Services, token?: string): Promise<Client> {
  const frames: Client["frames"] = [];
  const session = await node.hub.connect((text) => frames.push(JSON.parse(text)), token);
  await eventually(() => assert.ok(frames.some((f) => f.type === "welcome"), "no welcome yet"));
  return { session, frames, welcome: frames.find((f) => f.type === "welcome")!.data };
}

/**
 * Resolves once every fire-and-forget write `node` made so far is done: they share the command
 * connection with this read, which Redis answers after them.
 */
async function written(node: Services): Promise<void> {
  await node.hub.deploymentCount();
}

Deno.test({
  name: "the session record in Redis holds the SHA-256 of the resume secret, never the secret",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    await using node = await startNode(redis, "a", 60_000);
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const client = await connect(node);
      const secret = String(client.welcome.resumeToken).split(".")[1];
      await written(node);
      const record = await admin.hGetAll(sessionKey(client.session.id));
      assert.deepEqual(Object.keys(record).sort(), ["connectedAt", "name", "secretHash"]);
      assert.equal(record.secretHash, sha256(secret));
      const everything = JSON.stringify(await admin.keys("hub:*")) +
        JSON.stringify(record);
      assert.ok(!everything.includes(secret), "the secret is nowhere in Redis");
    } finally {
      await admin.close();
    }
  },
});

Deno.test({
  name:
    "what Redis holds for a session does not resume it on another node (bad input: the stored values as secrets); its token does",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    await using a = await startNode(redis, "a", 60_000);
    await using b = await startNode(redis, "b", 60_000);
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const client = await connect(a);
      const id = client.session.id;
      await written(a);
      // Someone who can read Redis tries every value it keeps for the session as the secret.
      const record = await admin.hGetAll(sessionKey(id));
      for (const value of Object.values(record)) {
        const stolen = await connect(b, `${id}.${value}`);
        assert.equal(stolen.welcome.resumed, false, `resumed with "${value}" read from Redis`);
        assert.notEqual(stolen.session.id, id);
      }
      const resumed = await connect(b, String(client.welcome.resumeToken));
      assert.equal(resumed.welcome.resumed, true);
      assert.equal(resumed.session.id, id);
    } finally {
      await admin.close();
    }
  },
});

Deno.test({
  name:
    "a killed node's session, rebuilt from its hashed record, resumes with the real secret and not with the hash",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    const id = "01JAAAAAAAAAAAAAAAAAAAAAAA";
    const hash = sha256("s3cret");
    // What a node killed with its session connected leaves behind.
    await admin.multi()
      .zAdd(NODES, { score: 1, value: "dead" })
      .hSet(SESSIONS, id, "dead")
      .hSet(nodeSessions("dead"), id, "Ada")
      .hSet(sessionKey(id), { name: "Ada", connectedAt: "1", secretHash: hash })
      .exec();
    await using b = await startNode(redis, "b", 60_000);
    try {
      await eventually(() => assert.ok(b.hub.session(id), "not adopted yet"));
      const stolen = await connect(b, `${id}.${hash}`);
      assert.equal(stolen.welcome.resumed, false, "the hash resumed the session");
      const resumed = await connect(b, `${id}.s3cret`);
      assert.equal(resumed.welcome.resumed, true);
      assert.equal(resumed.session.id, id);
      assert.equal(resumed.welcome.name, "Ada");
    } finally {
      await admin.close();
    }
  },
});

Deno.test({
  name:
    "with resume off, nothing a rebuild would need is written: no session record, no conversation",
  ignore: redisMissing,
  async fn() {
    await using redis = new Redis();
    await redis.start();
    await using node = await startNode(redis, "a", 0);
    const admin = createClient({ url: redis.url });
    await admin.connect();
    try {
      const ada = await connect(node);
      const bea = await connect(node);
      const call = (who: Client, type: string, data: Record<string, unknown>) =>
        node.hub.handle(who.session.id, { type, id: 1, data } as ValidRequest);
      await call(ada, "dm_request", { to: bea.session.id });
      await eventually(() => assert.ok(bea.frames.some((f) => f.type === "dm_request")));
      await call(bea, "dm_accept", { from: ada.session.id });
      await eventually(() => assert.ok(ada.frames.some((f) => f.type === "dm_accepted")));
      await written(node);
      assert.deepEqual(await admin.keys("hub:session:*"), []);
    } finally {
      await admin.close();
    }
  },
});
