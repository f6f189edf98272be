// Updates over the air (docs/updates.md): start one for a node with a built image, and follow it.
import { ApiError, badParam, notFound, readJson, sendJson } from "./http";
import { Ctx, route, Route } from "./router";
import { nodeOf } from "./routes-nodes";
import { UpdateRefused, updatesOf, type UpdateService } from "../updates/service";
import { readImage } from "../updates/image";
import { rollout, type RolloutRecord } from "../updates/rollout";

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

export const updateRoutes: Route[] = [
  route("POST /api/updates/rollout", postRollout),
  route("GET /api/updates/rollout", getRollout),
  route("POST /api/sites/:site/nodes/:node/update", postUpdate),
  route("GET /api/sites/:site/nodes/:node/update", getUpdate),
];
