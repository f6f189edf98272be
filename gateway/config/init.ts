// A site's first settings file, as `minigrid gateway init` writes it: a random API token and one login per node,
// each with a random password that is handed back once for the person at the terminal and kept in the file only as
// its scrypt hash (password.ts). Everything else is the defaults a site PC needs: the broker on every address of
// this PC (the controllers are on the site network), the API and dashboard on loopback, the database under
// /var/lib/minigrid (the home of the service user in deploy/minigrid-gateway.service).
import { randomBytes } from "node:crypto";
import { hashPassword } from "./password";

export interface NodeName {
  site: string;
  node: string;
}

export interface InitOptions {
  nodes: NodeName[];
  brokerHost: string;
  brokerPort: number;
  httpHost: string;
  httpPort: number;
  dbPath: string;
}

export interface NodeLogin extends NodeName {
  username: string;
  password: string;
}

export interface InitialSettings {
  /** The settings file (YAML), holding the token and the passwords' hashes, never a password. */
  text: string;
  /** For the terminal, once: what goes into each node's settings (broker.user, broker.pass). */
  logins: NodeLogin[];
}

export const initDefaults: Omit<InitOptions, "nodes"> = {
  brokerHost: "0.0.0.0",
  brokerPort: 1883,
  httpHost: "127.0.0.1",
  httpPort: 8080,
  dbPath: "/var/lib/minigrid/minigrid.db",
};

const idPattern = /^[a-z0-9_-]{1,32}$/;
/** The firmware's limit on broker.user (cli/settings/schema.ts). */
const USERNAME_CHARS_MAX = 64;

/** "kisumu-1/inverter" as a site and a node, or why not (a sentence naming the fix). */
export function parseNodeName(text: string): NodeName | string {
  const parts = text.split("/");
  if (parts.length !== 2 || !idPattern.test(parts[0]) || !idPattern.test(parts[1]))
    return `--node ${JSON.stringify(text)}: give SITE/NODE, each 1..32 lower-case letters, digits, '-' or '_' (e.g. --node kisumu-1/inverter)`;
  return { site: parts[0], node: parts[1] };
}

export function nodeUsername(n: NodeName): string {
  return `${n.site}-${n.node}`;
}

/** Problems with the list of nodes (duplicates, user names that collide or are too long for the firmware). */
export function checkNodeNames(nodes: NodeName[]): string[] {
  const errors: string[] = [];
  const users = new Map<string, NodeName>();
  for (const n of nodes) {
    const user = nodeUsername(n);
    const before = users.get(user);
    if (before && before.site === n.site && before.node === n.node) errors.push(`--node ${n.site}/${n.node}: named twice; name each node once`);
    else if (before) errors.push(`--node ${n.site}/${n.node}: its user name ${user} is also ${before.site}/${before.node}'s; rename one of them`);
    else if (user.length > USERNAME_CHARS_MAX) errors.push(`--node ${n.site}/${n.node}: its user name ${user} has ${user.length} characters, the firmware takes at most ${USERNAME_CHARS_MAX}; shorten the site or node name`);
    users.set(user, n);
  }
  return errors;
}

/** A password or token: `bytes` random bytes as base64url (letters, digits, '-' and '_'; 6 bits a character). */
function randomText(bytes: number, random: (n: number) => Buffer): string {
  return random(bytes).toString("base64url");
}

const q = (s: string) => JSON.stringify(s); // a YAML double-quoted scalar

export function initialSettings(opts: InitOptions, random: (n: number) => Buffer = randomBytes): InitialSettings {
  // 18 bytes: 144 bits, 24 characters a password; 32 bytes: 256 bits, 43 characters the token
  const logins = opts.nodes.map((n) => ({ ...n, username: nodeUsername(n), password: randomText(18, random) }));
  const token = randomText(32, random);
  const text = [
    "# minigrid site gateway settings, written by `minigrid gateway init`.",
    "# Check after every change: minigrid gateway check-config FILE. Every key and its default: docs/install.md.",
    "# This file holds the API token: keep it readable by the gateway's user only (chmod 640, group minigrid).",
    "version: 1",
    "broker:",
    "  mode: embedded",
    `  host: ${q(opts.brokerHost)}   # the address the controllers connect to (0.0.0.0: every address of this PC)`,
    `  port: ${opts.brokerPort}`,
    "# One login per controller; it connects with client id <site>.<node>. A password is kept only as its scrypt",
    "# hash: add a node with `minigrid gateway hash-password`, or write a new file with init --force.",
    "nodes:",
    ...logins.map((l) => `  - { site: ${q(l.site)}, node: ${q(l.node)}, username: ${q(l.username)}, passwordHash: ${q(hashPassword(l.password))} }`),
    "demo: false              # never true on a site: it lets anonymous controllers in",
    "storage:",
    `  path: ${q(opts.dbPath)}`,
    "  synchronous: FULL      # a batch is acknowledged only once its commit survives a power cut",
    "http:",
    `  host: ${q(opts.httpHost)}   # the API and dashboard; beyond loopback the token is required`,
    `  port: ${opts.httpPort}`,
    `  token: ${q(token)}   # every API route asks for it: Authorization: Bearer <token>`,
    "",
  ].join("\n");
  return { text, logins };
}
