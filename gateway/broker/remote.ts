// Small helpers of the embedded broker about who is on the other end of a connection.
import type { Client } from "aedes";

/** The remote address of an aedes client's connection (IPv4 without the ::ffff: prefix), or "?" when unknown. */
export function remoteAddress(client: Client): string {
  const a = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress;
  return a ? a.replace(/^::ffff:/, "") : "?";
}

const throttled = new Set(["auth-rate-limited", "auth-busy", "auth-bad-credentials", "auth-client-id", "auth-anonymous"]);

/** Lets a log line through once per key and period: refusals under a flood are counted, not each logged. */
export class LogThrottle {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  allow(reason: string, address: string): boolean {
    if (!throttled.has(reason)) return true;
    const key = reason + " " + address;
    const t = this.now();
    const prev = this.last.get(key);
    if (prev !== undefined && t - prev < this.periodMs) return false;
    if (this.last.size > 10_000) this.last.clear();
    this.last.set(key, t);
    return true;
  }
}
