import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, UsageError, didYouMean } from "../command";
import { ApiClient, ApiRequestError, apiRequest, parseSettings, sendNodeCommand, setNodeConfig, waitForAnswer } from "../../gateway/commands/client";
import type { UpdateRecord } from "../../gateway/updates/service";
import type { RolloutRecord } from "../../gateway/updates/rollout";
import { firmwareOutDir } from "../../contracts/paths";
import type { CommandRecord } from "../../gateway/commands/service";
import { withSecretsMasked } from "../settings/secrets";

const usages: { [sub: string]: string } = {
  config: `minigrid node config SITE NODE key=value... [--replace]
    Set the node's desired configuration: stored by the gateway and published retained on
    mg/v1/SITE/NODE/cfg, so the node gets it whenever it connects. Values are JSON when they parse
    (report_s=30, off=[22,23], modbus=null), else text. Merges into the current desired config unless
    --replace. Any setting but site and node (docs/provisioning.md); the gateway checks it against the
    node's board and what the node applied, and refuses an invalid one with every reason, publishing nothing.
    A broker or net given here replaces the whole section on the node: give all of its fields.`,
  reboot: `minigrid node reboot SITE NODE
    Ask the node to restart (command "reboot"), and wait for its answer.`,
  resend: `minigrid node resend SITE NODE FROM TO
    Ask the node to send again the batches of its current boot with seq FROM..TO (inclusive) that are
    still in its flash queue (command "resend"); the gateway drops those it already has.`,
  update: `minigrid node update SITE NODE [--file FILE] [--force]
    Update the node's firmware over the air (docs/updates.md): the gateway sends the built image
    (default dist/firmware/<the node's board>.js) in chunks; the node stages it, checks it, restarts into it
    and keeps it once it reaches the broker, else goes back to its previous image. Refused for an image of
    another board, a board without room for two images, or a version not newer than the node's unless
    --force. Waits --wait seconds (default 30; 0: do not) and prints the progress.`,
  rollout: `minigrid node rollout --file FILE [--wave-share X] [--max-failure-share X] [--nodes SITE/NODE,...] [--force]
    Update a fleet over the air in waves (docs/updates.md "Rollouts"): the gateway updates --wave-share of the
    nodes at a time (default 0.25, at least one), by default every node whose birth names the image's board in
    order of site and node, or the --nodes given; the next wave begins once each update of the current one has
    ended. A wave whose nodes not updated (failed, rolled back, refused) are more than --max-failure-share of it
    (default 0) stops the rollout; later waves keep what they run. One rollout at a time per gateway. With
    --wait S it follows the rollout for S seconds (default 0: prints its start), a line per change, and ends
    with status 1 if it stopped.`,
};

function usage(sub?: string): string {
  const one = sub !== undefined && usages[sub] !== undefined;
  const subs = one ? [usages[sub!]] : Object.values(usages);
  const head = one ? usages[sub!].split("\n")[0] + " [options]" : "minigrid node config|reboot|resend|update SITE NODE [ARGS] [options]\n       minigrid node rollout --file FILE [options]";
  return `Usage: ${head}

  ${subs.join("\n\n  ")}

Talks to the gateway's HTTP API.

Options:
  --url URL      gateway API (default $MINIGRID_API_URL or http://127.0.0.1:8080)
  --token TOKEN  bearer token (default $MINIGRID_API_TOKEN)
  --ttl S        seconds the node may act on the command (default 300)
  --wait S       seconds to wait for the node's answer; 0 = do not wait (default 30)
  --replace      config: replace the desired config instead of merging into it
  --file FILE    update: the built image (default dist/firmware/<board>.js); rollout: the built image
  --force        update, rollout: an image not newer than the node's goes all the same
  --wave-share X          rollout: share of the nodes per wave, (0, 1] (default 0.25)
  --max-failure-share X   rollout: share of a wave that may fail for the rollout to go on (default 0)
  --nodes LIST            rollout: site/node ids, comma-separated (default: every node of the image's board)
  --json         print the result as JSON
  -h, --help     show this help (minigrid node help SUBCOMMAND for one)`;
}

function describe(rec: CommandRecord): string {
  const result = rec.result === null || rec.result === undefined ? "" : " " + JSON.stringify(rec.result);
  if (rec.state === "ok") return `${rec.name} ${rec.id}: done${result}`;
  if (rec.state === "failed") return `${rec.name} ${rec.id}: refused by the node${result}`;
  if (rec.state === "expired") return `${rec.name} ${rec.id}: expired without an answer (node offline?)`;
  return `${rec.name} ${rec.id}: sent, no answer yet (see GET /api/sites/${rec.site}/nodes/${rec.node}/commands/${rec.id})`;
}

function int(s: string, name: string): number {
  if (!/^\d+$/.test(s)) throw new UsageError(`${name} must be a whole number, not '${s}'\n\n${usage("resend")}`);
  return Number(s);
}

export const nodeCommand: Command = {
  name: "node",
  usage: usage(),
  usageFor: (positionals) => (usages[positionals[0]] !== undefined ? usage(positionals[0]) : undefined),
  options: {
    url: { type: "string" },
    token: { type: "string" },
    ttl: { type: "string" },
    wait: { type: "string" },
    replace: { type: "boolean" },
    json: { type: "boolean" },
    file: { type: "string" },
    force: { type: "boolean" },
    "wave-share": { type: "string" },
    "max-failure-share": { type: "string" },
    nodes: { type: "string" },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [sub, site, node, ...rest] = positionals;
    if (sub === "help") {
      console.log(usage(site));
      return 0;
    }
    if (!sub || !usages[sub]) throw new UsageError(`${sub ? `unknown subcommand '${sub}'${didYouMean(sub, Object.keys(usages))}` : "which subcommand?"}\n\n${usage()}`);
    const client: ApiClient = {
      url: (values.url as string | undefined) ?? process.env.MINIGRID_API_URL ?? "http://127.0.0.1:8080",
      token: (values.token as string | undefined) ?? process.env.MINIGRID_API_TOKEN,
    };
    if (sub === "rollout") {
      if (site !== undefined) throw new UsageError(`unexpected '${positionals.slice(1).join(" ")}': a rollout takes its nodes with --nodes\n\n${usage("rollout")}`);
      const wait = values.wait === undefined ? 0 : Number(values.wait);
      if (!(wait >= 0)) throw new UsageError("--wait must be a number of seconds");
      try {
        return await startRollout(client, values, wait, (human, data) => console.log(values.json ? JSON.stringify(data) : human));
      } catch (e) {
        if (e instanceof ApiRequestError) {
          console.error(`minigrid node rollout: ${e.message}${e.status === 401 ? " (give --token or set MINIGRID_API_TOKEN)" : ""}`);
          return 1;
        }
        throw e;
      }
    }
    if (!site || !node) throw new UsageError(`SITE and NODE are required\n\n${usage(sub)}`);
    const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
    if (ttl !== undefined && !(ttl >= 1)) throw new UsageError("--ttl must be a number of seconds");
    const wait_s = values.wait === undefined ? 30 : Number(values.wait);
    if (!(wait_s >= 0)) throw new UsageError("--wait must be a number of seconds");
    const print = (human: string, data: unknown) => console.log(values.json ? JSON.stringify(withSecretsMasked(data)) : human);
    try {
      if (sub === "config") {
        if (rest.length === 0) throw new UsageError(`give at least one key=value\n\n${usage("config")}`);
        let settings: { [k: string]: any };
        try {
          settings = parseSettings(rest);
        } catch (e) {
          throw new UsageError((e as Error).message + "\n\n" + usage("config"));
        }
        const r = await setNodeConfig(client, site, node, settings, values.replace === true);
        // passwords in a broker or net section are never printed
        const shown = withSecretsMasked(r);
        print(`desired config of ${site}/${node}: ${JSON.stringify(shown.config)} (published retained on mg/v1/${site}/${node}/cfg)`, shown);
        return 0;
      }
      if (sub === "update") {
        if (rest.length) throw new UsageError(`unexpected '${rest.join(" ")}'\n\n${usage("update")}`);
        return await update(client, site, node, values.file as string | undefined, values.force === true, wait_s, print);
      }
      let args: { [k: string]: any } | undefined;
      if (sub === "resend") {
        if (rest.length !== 2) throw new UsageError(`FROM and TO are required\n\n${usage("resend")}`);
        args = { from: int(rest[0], "FROM"), to: int(rest[1], "TO") };
        if (args.from > args.to) throw new UsageError("FROM must not be after TO");
      } else if (rest.length) throw new UsageError(`unexpected '${rest.join(" ")}'\n\n${usage(sub)}`);
      let rec = await sendNodeCommand(client, site, node, sub, args, ttl);
      if (wait_s > 0) rec = await waitForAnswer(client, site, node, rec.id, wait_s * 1000);
      print(describe(rec), rec);
      return rec.state === "ok" || rec.state === "pending" ? 0 : 1;
    } catch (e) {
      if (e instanceof ApiRequestError && e.errors) {
        console.error(`minigrid node ${sub}: the gateway refused the configuration of ${site}/${node}; nothing was published:\n  ${e.errors.join("\n  ")}`);
        return 1;
      }
      if (e instanceof ApiRequestError) {
        console.error(`minigrid node ${sub}: ${e.message}${e.status === 401 ? " (give --token or set MINIGRID_API_TOKEN)" : ""}`);
        return 1;
      }
      throw e;
    }
  },
};

function describeUpdate(u: UpdateRecord): string {
  const what = `update of ${u.site}/${u.node} from ${u.from} to ${u.version}`;
  if (u.state === "staging") return `${what}: staging, ${u.have} of ${u.bytes} bytes`;
  if (u.state === "switching") return `${what}: staged and checked, the node is restarting into it`;
  if (u.state === "updated") return `${what}: done, the node runs ${u.version}`;
  if (u.state === "rolled-back") return `${what}: rolled back by the node (${u.why}); it runs ${u.from}`;
  return `${what}: failed (${u.why})`;
}

async function update(client: ApiClient, site: string, node: string, file: string | undefined, force: boolean, wait_s: number, print: (human: string, data: unknown) => void): Promise<number> {
  const path = `/api/sites/${encodeURIComponent(site)}/nodes/${encodeURIComponent(node)}`;
  if (file === undefined) {
    const nodes = (await apiRequest(client, "GET", `/api/sites/${encodeURIComponent(site)}/nodes`)).nodes as { node: string; board: string | null }[];
    const board = nodes.find((n) => n.node === node)?.board;
    if (!board) throw new UsageError(`the gateway does not know ${site}/${node}'s board yet: give --file`);
    file = join(firmwareOutDir, `${board}.js`);
  }
  let image: string;
  try {
    image = readFileSync(file, "latin1");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message} (build it with minigrid build, or give --file)`);
  }
  let u = (await apiRequest(client, "POST", path + "/update", { image, force })).update as UpdateRecord;
  console.error(describeUpdate(u));
  const until = Date.now() + wait_s * 1000;
  let last = "";
  while (wait_s > 0 && Date.now() < until && (u.state === "staging" || u.state === "switching")) {
    await new Promise((r) => setTimeout(r, 500));
    u = (await apiRequest(client, "GET", path + "/update")).update as UpdateRecord;
    const line = describeUpdate(u);
    if (line !== last) console.error((last = line));
  }
  print(describeUpdate(u), u);
  return u.state === "failed" || u.state === "rolled-back" ? 1 : 0;
}

/** One line for a rollout's record: its state, wave and the outcomes so far. */
export function describeRollout(r: RolloutRecord): string {
  const outcomes = Object.values(r.outcome);
  const n = (st: string) => outcomes.filter((o) => o.state === st).length;
  const total = r.waves.reduce((a, w) => a + w.length, 0);
  const counts = `${n("updated")} updated, ${n("rolled-back")} rolled back, ${n("failed")} failed, ${n("refused")} refused of ${total}`;
  const what = `rollout of ${r.image.version} to ${total} node(s) in ${r.waves.length} wave(s)`;
  if (r.state === "running") return `${what}: wave ${r.wave + 1} under way; ${counts}`;
  if (r.state === "done") return `${what}: done; ${counts}`;
  return `${what}: stopped (${r.why}); ${counts}; the later waves keep their firmware`;
}

async function startRollout(client: ApiClient, values: { [k: string]: unknown }, wait_s: number, print: (human: string, data: unknown) => void): Promise<number> {
  const file = values.file as string | undefined;
  if (!file) throw new UsageError(`--file is required: the built image to roll out (e.g. dist/firmware/esp32.js)\n\n${usage("rollout")}`);
  let image: string;
  try {
    image = readFileSync(file, "latin1");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message} (build it with minigrid build)`);
  }
  const share = (k: string, d: number, zeroOk: boolean) => {
    const v = values[k] === undefined ? d : Number(values[k]);
    if (!(v >= 0 && v <= 1) || (!zeroOk && v === 0)) throw new UsageError(`--${k} takes a share ${zeroOk ? "from 0" : "above 0"} to 1, such as 0.25 (got '${values[k]}')`);
    return v;
  };
  const body: { [k: string]: unknown } = { image, wave_share: share("wave-share", 0.25, false), max_failure_share: share("max-failure-share", 0, true), force: values.force === true };
  if (values.nodes !== undefined) {
    const nodes = String(values.nodes).split(",").map((x) => x.trim()).filter(Boolean);
    const bad = nodes.find((x) => !/^[a-z0-9_-]+\/[a-z0-9_-]+$/.test(x));
    if (nodes.length === 0 || bad !== undefined) throw new UsageError(`--nodes takes site/node ids separated by commas, such as kisumu-1/controller,kisumu-2/controller${bad ? ` (not one: '${bad}')` : ""}`);
    body.nodes = nodes;
  }
  let r = (await apiRequest(client, "POST", "/api/updates/rollout", body)).rollout as RolloutRecord;
  let last = describeRollout(r);
  console.error(last);
  const until = Date.now() + wait_s * 1000;
  while (wait_s > 0 && Date.now() < until && r.state === "running") {
    await new Promise((x) => setTimeout(x, 500));
    r = (await apiRequest(client, "GET", "/api/updates/rollout")).rollout as RolloutRecord;
    const line = describeRollout(r);
    if (line !== last) console.error((last = line));
  }
  print(describeRollout(r), r);
  return r.state === "stopped" ? 1 : 0;
}
