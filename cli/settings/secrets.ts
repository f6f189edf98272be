// The Wi-Fi and broker passwords of a settings file: never printed by the CLI. What goes to the terminal is either
// a summary that shows them masked, or a line from the espruino CLI with every secret (and every base64 payload,
// which is how the settings travel) blanked out.
import type { NodeSettings } from "../../firmware/app/node-settings";

export const mask = "********";

export function secretsOf(s: { [k: string]: any }): string[] {
  const out: string[] = [];
  for (const v of [s.net?.pass, s.broker?.pass]) if (typeof v === "string" && v !== "") out.push(v);
  return out;
}

/** A line for the terminal: secrets and atob("...") payloads masked. */
export function masked(line: string, secrets: string[]): string {
  let out = line.replace(/atob\("[^"]*"\)/g, `atob("${mask}")`);
  for (const sec of secrets) out = out.split(sec).join(mask);
  return out;
}

/** One line about the settings for the terminal, passwords masked. */
export function summary(s: NodeSettings): string {
  const b = s.broker;
  const pass = (p: string | undefined) => (p ? mask : "none");
  const parts = [`${s.site}/${s.node}`];
  if (s.net) {
    const addr = s.net.ip ? `ip ${s.net.ip} gw ${s.net.gw} mask ${s.net.mask}` : "DHCP";
    parts.push(s.net.kind === "wifi" ? `Wi-Fi "${s.net.ssid}" password ${pass(s.net.pass)}, ${addr}` : `Ethernet, ${addr}`);
  }
  parts.push(`broker ${b.host}:${b.port ?? 1883}${b.user ? ` user ${b.user}` : ""} password ${pass(b.pass)}`);
  parts.push(`report every ${s.report_s ?? 60} s`);
  return parts.join(", ");
}

/** A copy of settings (or a part of them) with every password masked, for printing. */
export function withSecretsMasked<T>(v: T): T {
  if (Array.isArray(v)) return v.map(withSecretsMasked) as T;
  if (v === null || typeof v !== "object") return v;
  const out: { [k: string]: any } = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === "pass" && typeof x === "string" && x !== "" ? mask : withSecretsMasked(x);
  return out as T;
}
