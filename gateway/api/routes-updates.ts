// Updates over the air (docs/updates.md): start one for a node with a built image, and follow it.
import { ApiError, badParam, notFound, readJson, sendJson } from "./http";
import { Ctx, route, Route } from "./router";
import { nodeOf } from "./routes-nodes";
import { UpdateRefused, updatesOf, type UpdateService } from "../updates/service";

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

export const updateRoutes: Route[] = [
  route("POST /api/sites/:site/nodes/:node/update", postUpdate),
  route("GET /api/sites/:site/nodes/:node/update", getUpdate),
];
