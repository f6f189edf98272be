// Alarms (list, acknowledge), commands to nodes and desired configuration.
import { alarmEventOf } from "../alarms/service";
import { ackAlarm, getAlarm, listAlarms } from "../alarms/store";
import { ConfigRefused, type CommandService } from "../commands/service";
import { ApiError, badParam, flagParam, intParam, notFound, readJson, sendJson } from "./http";
import { Ctx, route, Route } from "./router";
import { nodeOf } from "./routes-nodes";

const commandNames = ["cfg", "time", "resend", "reboot"];

function alarms(ctx: Ctx): void {
  const q = ctx.query;
  const rows = listAlarms(ctx.deps.db, {
    active: flagParam(q, "active"),
    site: q.get("site") ?? undefined,
    node: q.get("node") ?? undefined,
    limit: intParam(q, "limit", 500, 1, 10_000),
  });
  sendJson(ctx.res, 200, { alarms: rows });
}

async function ack(ctx: Ctx): Promise<void> {
  const id = ctx.params.id;
  if (!/^\d+$/.test(id)) throw badParam("id", "an alarm id is a number");
  const body = await readJson(ctx.req);
  if (body.by !== undefined && (typeof body.by !== "string" || body.by.length > 64)) throw badParam("by", "a name of at most 64 characters");
  const before = getAlarm(ctx.deps.db, Number(id));
  if (!before) throw notFound(`no alarm ${id}`, "id");
  const now = ctx.deps.now();
  const row = ackAlarm(ctx.deps.db, Number(id), body.by ?? "api", now)!;
  if (before.acked_at === null) ctx.deps.bus.emit("alarm", alarmEventOf(row, "acked", now));
  sendJson(ctx.res, 200, { alarm: row });
}

function commandsOf(ctx: Ctx): CommandService {
  if (!ctx.deps.commands) throw new ApiError(503, "no-broker", "commands need the gateway's broker, which this API was started without");
  return ctx.deps.commands;
}

/** A configuration the node's settings schema refuses: 400 naming the parameter, with every error. */
async function refusing<T>(param: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ConfigRefused) throw new ApiError(400, "bad-parameter", `${param}: ${e.message}`, param, e.errors);
    throw e;
  }
}

async function postCommand(ctx: Ctx): Promise<void> {
  const { site, node } = nodeOf(ctx);
  const body = await readJson(ctx.req);
  if (typeof body.c !== "string" || commandNames.indexOf(body.c) < 0) throw badParam("c", `must be one of ${commandNames.join(", ")}`);
  if (body.a !== undefined && (body.a === null || typeof body.a !== "object" || Array.isArray(body.a))) throw badParam("a", "must be an object of arguments");
  if (body.ttl_s !== undefined && !(typeof body.ttl_s === "number" && body.ttl_s >= 1 && body.ttl_s <= 604_800)) throw badParam("ttl_s", "must be a number of seconds from 1 to 604800");
  // the node's resend takes a seq range of its current boot: a.from..a.to inclusive
  if (body.c === "resend" && !(body.a && Number.isInteger(body.a.from) && Number.isInteger(body.a.to) && body.a.from <= body.a.to)) throw badParam("a", "resend needs integer seqs a.from <= a.to");
  const rec = await refusing("a", () => commandsOf(ctx).send(site, node, body.c, body.a, body.ttl_s));
  ctx.res.setHeader("location", `/api/sites/${site}/nodes/${node}/commands/${rec.id}`);
  sendJson(ctx.res, 202, { id: rec.id, command: rec });
}

function getCommand(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  const rec = commandsOf(ctx).get(ctx.params.id);
  if (!rec || rec.site !== site || rec.node !== node) throw notFound(`no command ${ctx.params.id} for node ${node}`, "id");
  sendJson(ctx.res, 200, { command: rec });
}

function listCommands(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  sendJson(ctx.res, 200, { commands: commandsOf(ctx).list(site, node, intParam(ctx.query, "limit", 50, 1, 1000)) });
}

async function putConfig(ctx: Ctx): Promise<void> {
  const { site, node } = nodeOf(ctx);
  const body = await readJson(ctx.req);
  const config = body.config;
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw badParam("config", "must be an object of settings");
  if (JSON.stringify(config).length > 8192) throw badParam("config", "over 8192 bytes as JSON (the node keeps it in RAM)");
  sendJson(ctx.res, 200, await refusing("config", () => commandsOf(ctx).setDesiredConfig(site, node, config)));
}

function getConfig(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  const c = commandsOf(ctx).getDesiredConfig(site, node);
  if (!c) throw notFound(`no desired config for node ${node}`, "node");
  sendJson(ctx.res, 200, c);
}

function getConfigState(ctx: Ctx): void {
  const { site, node } = nodeOf(ctx);
  sendJson(ctx.res, 200, commandsOf(ctx).configState(site, node));
}

export const controlRoutes: Route[] = [
  route("GET /api/alarms", alarms),
  route("POST /api/alarms/:id/ack", ack),
  route("POST /api/sites/:site/nodes/:node/commands", postCommand),
  route("GET /api/sites/:site/nodes/:node/commands", listCommands),
  route("GET /api/sites/:site/nodes/:node/commands/:id", getCommand),
  route("PUT /api/sites/:site/nodes/:node/config", putConfig),
  route("GET /api/sites/:site/nodes/:node/config", getConfig),
  route("GET /api/sites/:site/nodes/:node/config/state", getConfigState),
];
