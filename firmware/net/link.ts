// Keeps the controller's network link up beneath MQTT. The link is joined before the first MQTT connection; a
// join that fails, or that has not finished in JOIN_TIMEOUT_S (a Wi-Fi module retries a missing access point by
// itself and never calls back), is tried again after min(5 min, 5 s x 2^failures); a link that reports a loss
// (access point gone, cable out, module reset) or under which MQTT fails LOST_AFTER connections in a row (a DHCP
// lease lost where nothing reports it) is joined again. The MQTT client opens its connections through the
// returned function, which refuses while the link is down: the client then backs off without touching the radio.
import { NetConnectFn, NetLink } from "../hal/types";

/** Seconds a join may take before it is given up and tried again. */
const JOIN_TIMEOUT_S = 60;
/** MQTT connections failing in a row, with the link up, after which the link is joined again. */
const LOST_AFTER = 4;

export interface LinkKeeper {
  /** Opens TCP connections over the link; throws while it is down. */
  connect: NetConnectFn;
  /** The MQTT connection's outcome: 1 it reached CONNACK, 0 it failed or dropped. */
  mqtt(ok: number): void;
}

/**
 * Joins `link` and keeps it joined; `change(1)` when it comes up, `change(0, why)` when a join fails or it is lost.
 * Connections are opened with `open` when given (MQTT over TLS), else over the link.
 */
export function keepLinkUp(link: NetLink, change: (up: number, why?: string) => void, open?: NetConnectFn): LinkKeeper {
  let up = 0;
  let fails = 0;
  let mqttFails = 0;
  // joins begun: a callback of a join given up (timed out) carries an older number and is ignored
  let joins = 0;
  let timer: any;

  function join() {
    const n = ++joins;
    timer = setTimeout(failed, JOIN_TIMEOUT_S * 1000, n, "join timeout");
    try {
      link.join(function (err?: string) {
        if (n !== joins) return;
        clearTimeout(timer);
        if (err) return failed(n, err);
        up = 1;
        fails = mqttFails = 0;
        change(1);
      });
    } catch (e) {
      failed(n, "" + e);
    }
  }

  function failed(n: number, why: string) {
    if (n !== joins) return;
    joins++;
    up = 0;
    change(0, why);
    timer = setTimeout(join, Math.min(300, 5 << fails) * 1000);
    if (fails < 6) fails++;
  }

  function lost(why: string) {
    if (!up) return;
    up = 0;
    change(0, why);
    join();
  }

  link.watch(lost);
  // the first join from a timer: a link that joins at once (WIZnet's setIP() returns when DHCP is done) would
  // otherwise tell `change` before the caller has what it starts on a join (the MQTT client)
  setTimeout(join, 0);
  // TCP over the link's own sockets (an AT module), or the interpreter's; `open` when given (TLS) instead
  open = open || link.connect || require("net").connect;
  return {
    connect: function (to, onConnect) {
      if (!up) throw new Error("link down");
      return open!(to, onConnect);
    },
    mqtt: function (ok: number) {
      if (!up) return;
      mqttFails = ok ? 0 : mqttFails + 1;
      if (mqttFails >= LOST_AFTER) {
        mqttFails = 0;
        lost("no broker over the link");
      }
    },
  };
}
