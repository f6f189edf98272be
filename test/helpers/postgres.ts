// Start a throw-away PostgreSQL server for a test, from Debian's `postgresql` package binaries:
//   1. mkdtemp a folder; when running as root, chown it to the `postgres` user and run every server binary through
//      `runuser -u postgres --` (initdb and postgres refuse to run as root);
//   2. initdb -D <dir>/data (trust authentication, no fsync: the data is thrown away);
//   3. pg_ctl start on a free TCP port number with listen_addresses='' (no TCP at all) and the unix socket in <dir>,
//      so clients connect with { host: <dir>, port } and nothing else on the machine can reach it;
//   4. stop(): pg_ctl stop -m fast and remove the folder.
// `startPostgres()` resolves undefined (the reason in `postgresMissing`) when the binaries are not installed.
import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./mosquitto";

function findBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl")) && existsSync(join(bin, "postgres"))) return bin;
  }
  return undefined;
}

export const postgresBin = findBin();
const asRoot = process.getuid?.() === 0;
function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { stdio: ["ignore", "pipe", "ignore"] }).toString());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    return undefined;
  }
}
const pgUser = asRoot ? postgresUser() : undefined;

export const postgresMissing = !postgresBin
  ? "PostgreSQL server binaries are not installed (apt-get install -y postgresql): skipped"
  : asRoot && !pgUser
    ? "running as root without a `postgres` user to run the server as: skipped"
    : "";

export interface Postgres {
  /** Connection settings for `pg`: the unix socket folder as host. */
  conn: { host: string; port: number; user: string; database: string };
  dir: string;
  stop(): Promise<void>;
}

function run(bin: string, args: string[]): string {
  const cmd = asRoot ? ["runuser", ["-u", "postgres", "--", join(postgresBin!, bin), ...args]] : [join(postgresBin!, bin), args];
  return execFileSync(cmd[0] as string, cmd[1] as string[], { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

export async function startPostgres(): Promise<Postgres | undefined> {
  if (postgresMissing) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "mg-pg-"));
  if (pgUser) chownSync(dir, pgUser.uid, pgUser.gid);
  const data = join(dir, "data");
  const port = await freePort();
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]);
  run("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "-t", "30", "-o", `-p ${port} -k ${dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c max_connections=50`, "start"]);
  return {
    conn: { host: dir, port, user: "postgres", database: "postgres" },
    dir,
    stop: async () => {
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
