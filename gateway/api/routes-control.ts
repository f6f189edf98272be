// Alarms (list, acknowledge), commands to nodes and desired configuration.
import { alarmEventOf } from "../alarms/service";
import { ackAlarm, getAlarm, listAlarms } from "../alarms/store";
import { ConfigRefused, type CommandService } from "../commands/service";
import { ApiError, badParam, flagParam, intParam, notFound, readJson, sendJson } from "./http";
import { Ctx, route, Route } from "./router";
import { nodeOf } from "./routes-nodes";
import { nodeParam, siteParam } from "../../contracts/api-routes";
import { alarmRow, arrayOf, commandRecord, configState, desiredConfig, obj, str } from "../../contracts/api-schemas";

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

const id = "the id the POST answered with";
const nodeCommand = { site: siteParam, node: nodeParam };
const refusedConfig = "a configuration the node's settings schema refuses (`errors` lists every problem), or a bad body";

export const controlRoutes: Route[] = [
  route(
    "GET /api/alarms",
    {
      tag: "alarms",
      summary: "Alarms, newest first",
      query: {
        active: { description: "1: only those not cleared", schema: { type: "string", enum: ["0", "1", "true", "false", "yes", "no"] } },
        site: { description: "only this site's", schema: { type: "string" } },
        node: { description: "only this node's", schema: { type: "string" } },
        limit: { description: "at most this many, 1..10000 (default 500)", schema: { type: "integer", minimum: 1, maximum: 10000 } },
      },
      replies: { 200: { description: "the alarms", schema: obj<{ alarms: unknown }>({ alarms: arrayOf(alarmRow) }) } },
      errors: { 400: "a bad active or limit" },
    },
    alarms,
  ),
  route(
    "POST /api/alarms/:id/ack",
    {
      tag: "alarms",
      summary: "Acknowledge an alarm (the first acknowledgement counts)",
      params: { id: "the alarm's id" },
      body: { type: "object", additionalProperties: false, properties: { by: { type: "string", maxLength: 64, description: "who acknowledges (default api)" } } },
      replies: { 200: { description: "the alarm as now stored", schema: obj<{ alarm: unknown }>({ alarm: alarmRow }) } },
      errors: { 400: "a bad id or by", 404: "no such alarm", 413: "a body over 64 KiB" },
    },
    ack,
  ),
  route(
    "POST /api/sites/:site/nodes/:node/commands",
    {
      tag: "commands",
      summary: "Send a command to a node (cfg, time, resend, reboot); the node's answer completes it",
      params: nodeCommand,
      body: {
        type: "object",
        required: ["c"],
        properties: {
          c: { type: "string", enum: commandNames },
          a: { type: "object", description: "arguments: resend {from, to} seqs of the node's boot; cfg a desired configuration" },
          ttl_s: { type: "number", minimum: 1, maximum: 604800, description: "seconds until it expires unanswered (default 300)" },
        },
      },
      replies: { 202: { description: "sent; Location names the command", schema: obj<{ id: unknown; command: unknown }>({ id: str, command: commandRecord }) } },
      errors: { 400: "a bad c, a or ttl_s", 404: "no such node", 413: "a body over 64 KiB", 503: "no-broker: the API runs without the gateway's broker" },
    },
    postCommand,
  ),
  route(
    "GET /api/sites/:site/nodes/:node/commands",
    {
      tag: "commands",
      summary: "A node's commands, newest first, with their state",
      params: nodeCommand,
      query: { limit: { description: "at most this many, 1..1000 (default 50)", schema: { type: "integer", minimum: 1, maximum: 1000 } } },
      replies: { 200: { description: "the commands", schema: obj<{ commands: unknown }>({ commands: arrayOf(commandRecord) }) } },
      errors: { 400: "a bad limit", 404: "no such node", 503: "no-broker" },
    },
    listCommands,
  ),
  route(
    "GET /api/sites/:site/nodes/:node/commands/:id",
    {
      tag: "commands",
      summary: "One command with its state: pending, ok, failed, expired",
      params: { ...nodeCommand, id },
      replies: { 200: { description: "the command", schema: obj<{ command: unknown }>({ command: commandRecord }) } },
      errors: { 404: "no such node or command", 503: "no-broker" },
    },
    getCommand,
  ),
  route(
    "PUT /api/sites/:site/nodes/:node/config",
    {
      tag: "config",
      summary: "Set a node's desired configuration: checked against its board's settings schema, published retained on cfg",
      params: nodeCommand,
      body: { type: "object", required: ["config"], properties: { config: { type: "object", description: "settings merged over what the node applies" } } },
      replies: { 200: { description: "stored and published", schema: desiredConfig } },
      errors: { 400: refusedConfig, 404: "no such node", 413: "a body over 64 KiB", 503: "no-broker" },
    },
    putConfig,
  ),
  route(
    "GET /api/sites/:site/nodes/:node/config",
    {
      tag: "config",
      summary: "A node's desired configuration",
      params: nodeCommand,
      replies: { 200: { description: "the desired configuration", schema: desiredConfig } },
      errors: { 404: "no such node, or none desired", 503: "no-broker" },
    },
    getConfig,
  ),
  route(
    "GET /api/sites/:site/nodes/:node/config/state",
    {
      tag: "config",
      summary: "Desired, applied, pending, last refusal and last trial of a node's configuration",
      params: nodeCommand,
      replies: { 200: { description: "the configuration's state", schema: configState } },
      errors: { 404: "no such node", 503: "no-broker" },
    },
    getConfigState,
  ),
];
