// Who may log in to the embedded broker, and with which client id. A node logs in with its user name and password
// (scrypt hash in the settings) and its own client id (client-id.ts); demo mode lets anonymous clients in.
// Against guessing and floods:
// - a password is verified in libuv's thread pool (verifyPasswordAsync), one at a time, in a bounded queue served
//   by remote address in turn (verify-queue.ts): a full queue refuses at once, CONNACK 3 "server unavailable";
// - failures are counted per remote address and per user name (failure-limiter.ts): during a back-off window a
//   login is refused at once, CONNACK 5 "not authorized", without running scrypt. The address a user last logged
//   in from is spared that user name's back-off, so guesses from elsewhere cannot lock a node out;
// - a password verified once is remembered (its SHA-256), so a node's reconnections cost no scrypt;
// - an unknown user name costs a verification against a dummy hash, like a known one.
// CONNACK return codes: [MQTT-3.2.2.3].
import { createHash, timingSafeEqual } from "node:crypto";
import type { NodeCredential } from "../config/load";
import { hashPassword, verifyPasswordAsync } from "../config/password";
import type { Identity, Refusal } from "./acl";
import { checkClientId, nodeClientId } from "./client-id";
import { FailureLimiter, type LimiterOptions } from "./failure-limiter";
import { VerifyQueue, type VerifyQueueOptions } from "./verify-queue";

export interface LoginRequest {
  username: string | undefined;
  password: Buffer | undefined;
  clientId: string;
  /** The remote address of the connection. */
  address: string;
}

export type LoginResult = { ok: true; id: Identity } | { ok: false; refusal: Refusal; returnCode: 3 | 4 | 5 };

export interface LoginLimits {
  perAddress: LimiterOptions;
  perUser: LimiterOptions;
  queue: VerifyQueueOptions;
}

export const defaultLoginLimits: LoginLimits = {
  perAddress: { threshold: 5, baseMs: 1000, maxMs: 60_000, forgetMs: 15 * 60_000, maxKeys: 10_000 },
  perUser: { threshold: 10, baseMs: 1000, maxMs: 60_000, forgetMs: 15 * 60_000, maxKeys: 10_000 },
  queue: { concurrency: 1, maxQueued: 64, maxPerSource: 8 },
};

export interface LoginDeps {
  verify?: (password: Buffer, hash: string) => Promise<boolean>;
  now?: () => number;
  limits?: LoginLimits;
}

const refuse = (reason: string, detail: string, returnCode: 3 | 4 | 5): LoginResult => ({ ok: false, refusal: { reason, detail }, returnCode });

/** A login that reads (Home Assistant): its user name, password hash and what it may do (acl.ts). */
export interface ReaderCredential {
  username: string;
  passwordHash: string;
  roots: string[];
  publishes: string[];
}

export class Authenticator {
  private readonly byUser = new Map<string, NodeCredential | ReaderCredential>();
  private readonly bound: Set<string>;
  private readonly verified = new Map<string, Buffer>(); // user -> SHA-256 of the password last verified
  private readonly lastAddress = new Map<string, string>(); // user -> address of its last good login
  private readonly byAddress: FailureLimiter;
  private readonly byName: FailureLimiter;
  private readonly queue: VerifyQueue;
  private readonly verify: (password: Buffer, hash: string) => Promise<boolean>;
  private dummyHash: string | undefined;

  constructor(
    nodes: NodeCredential[],
    private readonly demo: boolean,
    deps: LoginDeps = {},
    readers: ReaderCredential[] = [],
  ) {
    for (const n of nodes) this.byUser.set(n.username, n);
    for (const r of readers) this.byUser.set(r.username, r);
    this.bound = new Set(nodes.map((n) => nodeClientId(n.site, n.node)));
    const limits = deps.limits ?? defaultLoginLimits;
    this.byAddress = new FailureLimiter(limits.perAddress, deps.now);
    this.byName = new FailureLimiter(limits.perUser, deps.now);
    this.queue = new VerifyQueue(limits.queue);
    this.verify = deps.verify ?? verifyPasswordAsync;
  }

  async check(req: LoginRequest): Promise<LoginResult> {
    const { username, address } = req;
    if (username === undefined || username === "") {
      if (!this.demo) return refuse("auth-anonymous", "anonymous connection refused (demo mode is off)", 5);
      return this.withClientId({ kind: "anonymous" }, req.clientId);
    }
    const wait = Math.max(this.byAddress.blockedFor(address), this.lastAddress.get(username) === address ? 0 : this.byName.blockedFor(username));
    if (wait > 0) return refuse("auth-rate-limited", `user ${JSON.stringify(username)} from ${address}: too many failed logins; wait ${Math.ceil(wait / 1000)} s`, 5);
    const cred = this.byUser.get(username);
    const password = req.password ?? Buffer.alloc(0);
    const digest = createHash("sha256").update(password).digest();
    const known = cred ? this.verified.get(username) : undefined;
    let good = known !== undefined && timingSafeEqual(known, digest);
    if (!good) {
      const hash = cred?.passwordHash ?? this.dummy();
      // a login that waited while its address went into back-off is refused without its scrypt
      const pending = this.queue.submit(address, () => (this.byAddress.blockedFor(address) > 0 ? Promise.resolve(undefined) : this.verify(password, hash)));
      if (!pending) return refuse("auth-busy", `${address}: too many logins waiting for verification`, 3);
      const verdict = await pending;
      if (verdict === undefined) return refuse("auth-rate-limited", `user ${JSON.stringify(username)} from ${address}: too many failed logins`, 5);
      good = verdict && cred !== undefined;
    }
    if (!good) {
      this.byAddress.fail(address);
      if (cred) this.byName.fail(username);
      return refuse("auth-bad-credentials", `user ${JSON.stringify(username)}: unknown user or wrong password`, 4);
    }
    this.byAddress.succeed(address);
    this.byName.succeed(username);
    this.verified.set(username, digest);
    this.lastAddress.set(username, address);
    const c = cred!;
    if ("roots" in c) return this.withClientId({ kind: "reader", name: c.username, roots: c.roots, publishes: c.publishes }, req.clientId);
    return this.withClientId({ kind: "node", site: c.site, node: c.node }, req.clientId);
  }

  private withClientId(id: Identity, clientId: string): LoginResult {
    const r = checkClientId(id, clientId, this.bound);
    return r ? { ok: false, refusal: r, returnCode: 5 } : { ok: true, id };
  }

  /** A hash of nothing anyone sends, so that an unknown user name costs what a known one does. */
  private dummy(): string {
    return (this.dummyHash ??= hashPassword("\u0000unknown user\u0000"));
  }
}
