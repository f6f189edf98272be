import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, UsageError, didYouMean } from "../command";
import { ApiClient, ApiRequestError, apiRequest, parseSettings, sendNodeCommand, setNodeConfig, waitForAnswer } from "../../gateway/commands/client";
import type { UpdateRecord } from "../../gateway/updates/service";
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
};

function usage(sub?: string): string {
  const one = sub !== undefined && usages[sub] !== undefined;
  const subs = one ? [usages[sub!]] : Object.values(usages);
  const head = one ? usages[sub!].split("\n")[0] + " [options]" : "minigrid node config|reboot|resend|update SITE NODE [ARGS] [options]";
  return `Usage: ${head}

  ${subs.join("\n\n  ")}

Talks to the gateway's HTTP API.

Options:
  --url URL      gateway API (default $MINIGRID_API_URL or http://127.0.0.1:8080)
  --token TOKEN  bearer token (default $MINIGRID_API_TOKEN)
  --ttl S        seconds the node may act on the command (default 300)
  --wait S       seconds to wait for the node's answer; 0 = do not wait (default 30)
  --replace      config: replace the desired config instead of merging into it
  --file FILE    update: the built image (default dist/firmware/<board>.js)
  --force        update: an image not newer than the node's goes all the same
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
  options: {
    url: { type: "string" },
    token: { type: "string" },
    ttl: { type: "string" },
    wait: { type: "string" },
    replace: { type: "boolean" },
    json: { type: "boolean" },
    file: { type: "string" },
    force: { type: "boolean" },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const [sub, site, node, ...rest] = positionals;
    if (sub === "help") {
      console.log(usage(site));
      return 0;
    }
    if (!sub || !usages[sub]) throw new UsageError(`${sub ? `unknown subcommand '${sub}'${didYouMean(sub, Object.keys(usages))}` : "which subcommand?"}\n\n${usage()}`);
    if (!site || !node) throw new UsageError(`SITE and NODE are required\n\n${usage(sub)}`);
    const client: ApiClient = {
      url: (values.url as string | undefined) ?? process.env.MINIGRID_API_URL ?? "http://127.0.0.1:8080",
      token: (values.token as string | undefined) ?? process.env.MINIGRID_API_TOKEN,
    };
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
