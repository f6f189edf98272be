// require("Wifi") of the virtual Espruino: the interpreter's Wifi library as Espruino's Wifi reference documents it
// (the ESP32 build, and the Espruino WiFi's build driving its on-board ESP8266), on the site's network
// (site-network.ts):
//   connect(ssid, {password}, callback(err))  calls back once an address is obtained (DHCP, or the one setIP gave);
//                              with an error only for a wrong password; a missing access point, no DHCP answer or
//                              a failed association are retried inside the module and never called back
//   setIP({ip, gw, netmask}, callback)  a static address, so that a later connect asks no DHCP
//   disconnect(callback)       leaves the access point
//   on("connected" | "disconnected", callback(details))  "disconnected" when the station loses its access point
//   getDetails(callback)       {status: off | connecting | wrong_password | no_ap_found | connect_fail | connected,
//                              rssi, ssid}; also returned
// Association takes ASSOC_S and DHCP the site's dhcp_s; the module retries every RETRY_S (the model's figures: the
// reference gives none). A station that lost its access point stays off it until connect is called again.
import { LinkHost } from "./site-network";

type Fn = (...a: unknown[]) => unknown;
export type WifiStatus = "off" | "connecting" | "wrong_password" | "no_ap_found" | "connect_fail" | "connected";

const ASSOC_S = 1;
const RETRY_S = 5;

export function wifiModule(h: LinkHost) {
  const s = h.site.state;
  let status: WifiStatus = "off";
  // connects begun: the retries of an earlier connect stop when a new one begins
  let attempt = 0;
  let staticIp: string | undefined;
  /** The password the station joined with (an access point whose password changes drops it). */
  let joinedWith: string | undefined;
  const handlers: Record<string, Fn[]> = {};
  const emit = (event: string, details: object) => {
    for (const f of handlers[event] ?? []) h.call(f, [details]);
  };
  const later = (seconds: number, fn: () => void) => h.clock.schedule(seconds * 1000, fn, "system");

  h.net.setJoined(false);
  h.site.follow(() => {
    if (status !== "connected") return;
    if (!s.ap) lose("no_ap_found", "beacon_timeout");
    else if (s.pass !== joinedWith) lose("wrong_password", "auth_expire");
  });

  function lose(next: WifiStatus, reason: string) {
    status = next;
    h.net.setJoined(false);
    emit("disconnected", { reason, ssid: s.ssid });
  }

  return {
    connect(ssid: string, opts: { password?: string } | undefined, cb?: Fn) {
      const n = ++attempt;
      if (status === "connected") lose("connecting", "assoc_leave");
      status = "connecting";
      const password = opts?.password;
      const associate = () => {
        if (n !== attempt) return;
        if (!s.ap || ssid !== s.ssid) {
          status = "no_ap_found";
          return later(RETRY_S, associate);
        }
        if (password !== s.pass) {
          status = "wrong_password";
          if (cb) h.call(cb, ["bad password"]);
          return;
        }
        status = "connecting";
        if (staticIp) return joined();
        if (!s.lease) return later(RETRY_S, associate); // DHCP unanswered: asked again
        later(s.dhcp_s, () => {
          if (n !== attempt) return;
          // the access point or the lease went while DHCP was asked: the module goes on trying
          if (!s.ap || !s.lease || password !== s.pass) return associate();
          joined();
        });
      };
      const joined = () => {
        status = "connected";
        joinedWith = password;
        h.net.setJoined(true);
        emit("connected", { ssid });
        if (cb) h.call(cb, [null]);
      };
      later(ASSOC_S, associate);
    },
    setIP(o: { ip?: string }, cb?: Fn) {
      staticIp = o && o.ip;
      if (cb) later(0.01, () => h.call(cb, [null]));
    },
    disconnect(cb?: Fn) {
      attempt++;
      status = "off";
      h.net.setJoined(false);
      if (cb) later(0.01, () => h.call(cb, []));
    },
    on(event: string, cb: Fn) {
      (handlers[event] ??= []).push(cb);
    },
    removeAllListeners(event?: string) {
      for (const k of Object.keys(handlers)) if (!event || k === event) delete handlers[k];
    },
    getDetails(cb?: Fn) {
      const d = { status, rssi: status === "connected" ? s.rssi : undefined, ssid: status === "connected" ? s.ssid : undefined };
      if (cb) h.call(cb, [d]);
      return d;
    },
  };
}
