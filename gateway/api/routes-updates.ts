// Updates over the air (docs/updates.md): start one for a node with a built image, and follow it.
import { ApiError, badParam, notFound, readJson, sendJson } from "./http";
import { Ctx, route, Route } from "./router";
import { nodeOf } from "./routes-nodes";
import { UpdateRefused, updatesOf, type UpdateService } from "../updates/service";
import { readImage } from "../updates/image";
import { rollout, type RolloutRecord } from "../updates/rollout";
import type { UpdateRecord } from "../updates/service";
import { arrayOf, bool, int, ms, num, obj, oneOfStrings, str, type JsonSchema } from "../../contracts/api-schemas";
import { nodeParam, siteParam } from "../../contracts/api-routes";

/** A built image is at most the program's budget (26 KB) with its header: 128 KB of JSON is plenty. */
const maxBodyBytes = 128 * 1024;

function updates(ctx: Ctx): UpdateService {
  if (!ctx.deps.commands) throw new ApiError(503, "no-broker", "updates need the gateway's broker, which this API was started without");
  return updatesOf(ctx.deps.db, ctx.deps.bus, ctx.deps.commands);
}

async function postUpdate(ctx: Ctx): Promise<void> {
  const { site, node } = nodeOf(ctx);
  const body = await readJson(ctx.req, maxBodyBytes);
  if (typeof body.image !== "string" || body.image === "") throw badParam("image", "the text of a built firmware file (dist/firmware/<board>.js)");
  if (body.force !== undefined && typeof body.force !== "boolean") throw badParam("force", "true or false");
  try {
    const rec = await updates(ctx).start(site, node, body.image, { force: body.force === true });
    ctx.res.setHeader("location", `/api/sites/${site}/nodes/${node}/update`);
    sendJson(ctx.res, 202, { update: rec });
  } catch (e) {
    if (e instanceof UpdateRefused) throw new ApiError(e.status, e.status === 400 ? "bad-parameter" : "conflict", e.message, e.status === 400 ? "image" : undefined);
    throw e;
  }
}

function getUpdate(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  const rec = updates(ctx).get(site, node);
  if (!rec) throw notFound(`no update of node ${node} since the gateway started`, "node");
  sendJson(ctx.res, 200, { update: rec });
}

/** The gateway's rollout: one at a time (the last one's record stays until the next begins). */
let current: RolloutRecord | undefined;

async function postRollout(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req, maxBodyBytes);
  if (typeof body.image !== "string") throw badParam("image", "the text of a built firmware file (dist/firmware/<board>.js)");
  let board: string;
  try {
    board = readImage(body.image).board;
  } catch (e) {
    throw badParam("image", (e as Error).message);
  }
  const share = (k: string, d: number) => {
    const v = body[k] ?? d;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw badParam(k, "a share from 0 to 1");
    return v;
  };
  const waveShare = share("wave_share", 0.25);
  if (waveShare === 0) throw badParam("wave_share", "a share above 0");
  const maxFailureShare = share("max_failure_share", 0);
  let nodes: string[];
  if (body.nodes !== undefined) {
    if (!Array.isArray(body.nodes) || !body.nodes.every((n: unknown) => typeof n === "string" && /^[a-z0-9_-]+\/[a-z0-9_-]+$/.test(n)))
      throw badParam("nodes", "a list of site/node");
    nodes = body.nodes;
  } else {
    // every node whose birth names the image's board
    const rows = ctx.deps.db.prepare("SELECT site, node FROM nodes WHERE board = ? ORDER BY site, node").all(board) as { site: string; node: string }[];
    nodes = rows.map((r) => r.site + "/" + r.node);
  }
  if (nodes.length === 0) throw badParam("nodes", `no node to update: none whose birth names ${board}`);
  if (current?.state === "running") throw new ApiError(409, "conflict", `a rollout is under way (wave ${current.wave + 1} of ${current.waves.length})`);
  const u = updates(ctx);
  const poll = () => new Promise<void>((r) => setTimeout(r, 1000));
  const run = rollout(u, nodes, body.image, { waveShare, maxFailureShare, force: body.force === true }, poll, (r) => (current = r));
  current = { image: { version: "" }, waves: [], wave: 0, state: "running", outcome: {} };
  run.catch((e) => {
    if (current) Object.assign(current, { state: "stopped", why: "the rollout failed: " + (e as Error).message });
  });
  // the first wave's updates have begun (or been refused) when the record is first sent
  await new Promise((r) => setTimeout(r, 50));
  sendJson(ctx.res, 202, { rollout: current });
}

function getRollout(ctx: Ctx): void {
  if (!current) throw notFound("no rollout since the gateway started", "rollout");
  sendJson(ctx.res, 200, { rollout: current });
}

const updateRecord = obj<UpdateRecord>(
  {
    site: str,
    node: str,
    board: str,
    from: { type: "string", description: "the version the node ran when the update began" },
    version: { type: "string", description: "the image's version" },
    bytes: int,
    crc: { type: "integer", description: "CRC-32 of the whole image" },
    state: oneOfStrings(["staging", "switching", "updated", "rolled-back", "failed"]),
    have: { type: "integer", description: "bytes the node has staged, by its last answer" },
    chunks: int,
    begins: { type: "integer", description: "1, and one more each time the update was taken up again after a lost link" },
    started_at: ms,
    updated_at: ms,
    why: { type: "string", description: "why it failed or was rolled back" },
  },
  ["why"],
);

const rolloutRecord = obj<RolloutRecord>(
  {
    image: obj<RolloutRecord["image"]>({ version: str }),
    waves: arrayOf(arrayOf(str)),
    wave: { type: "integer", description: "the wave under way (0-based), or the last one once the rollout has ended" },
    state: oneOfStrings(["running", "done", "stopped"]),
    outcome: { type: "object", description: "site/node to its update's outcome", additionalProperties: obj<{ state: string; why: string }>({ state: str, why: str }, ["why"]) },
    why: str,
  },
  ["why"],
);

const imageBody = (more: { [k: string]: JsonSchema } = {}): JsonSchema => ({
  type: "object",
  required: ["image"],
  properties: { image: { type: "string", description: "the text of a built firmware file (dist/firmware/<board>.js)" }, force: { ...bool, description: "even if not newer than the running version" }, ...more },
});
const nodeParams = { site: siteParam, node: nodeParam };

export const updateRoutes: Route[] = [
  route(
    "POST /api/updates/rollout",
    {
      tag: "updates",
      summary: "Update a fleet in waves (a share of the nodes at a time), stopping when a wave's failures pass a share",
      body: imageBody({
        nodes: { type: "array", items: { type: "string" }, description: "site/node ids (default: every node whose birth names the image's board)" },
        wave_share: { ...num, minimum: 0, maximum: 1, description: "share of the nodes per wave (default 0.25)" },
        max_failure_share: { ...num, minimum: 0, maximum: 1, description: "a wave whose failed, rolled-back or refused share passes this stops the rollout (default 0)" },
      }),
      replies: { 202: { description: "the rollout has begun", schema: obj<{ rollout: unknown }>({ rollout: rolloutRecord }) } },
      errors: { 400: "a bad image, share or node list, or no node to update", 409: "a rollout is under way", 413: "a body over 128 KiB", 503: "no broker" },
    },
    postRollout,
  ),
  route(
    "GET /api/updates/rollout",
    {
      tag: "updates",
      summary: "The current or last rollout: its waves and each node's outcome",
      replies: { 200: { description: "the rollout", schema: obj<{ rollout: unknown }>({ rollout: rolloutRecord }) } },
      errors: { 404: "no rollout since the gateway started" },
    },
    getRollout,
  ),
  route(
    "POST /api/sites/:site/nodes/:node/update",
    {
      tag: "updates",
      summary: "Send a built firmware image to a node over MQTT, in chunks with CRC-32, resumable; it switches at reboot and rolls back if the image does not prove itself",
      params: nodeParams,
      body: imageBody(),
      replies: { 202: { description: "the update has begun", schema: obj<{ update: unknown }>({ update: updateRecord }) } },
      errors: { 400: "a bad image, or one built for another board", 404: "no such site or node", 409: "an older or the same version (without force), an update under way, or a node without room", 413: "a body over 128 KiB", 503: "no broker" },
    },
    postUpdate,
  ),
  route(
    "GET /api/sites/:site/nodes/:node/update",
    {
      tag: "updates",
      summary: "The node's current or last update since the gateway started",
      params: nodeParams,
      replies: { 200: { description: "the update", schema: obj<{ update: unknown }>({ update: updateRecord }) } },
      errors: { 404: "no such site or node, or no update since the gateway started" },
    },
    getUpdate,
  ),
];
