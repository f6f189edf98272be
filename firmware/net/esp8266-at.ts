// The Pico's network through an ESP8266 module on a UART, spoken to with Espressif's AT firmware (the "ESP8266 AT
// Instruction Set": §3 basic commands AT, ATE0, AT+RST; §4 Wi-Fi commands AT+CWMODE, AT+CWJAP, AT+CWDHCP,
// AT+CIPSTA; §5 TCP/IP commands AT+CIPMUX, AT+CIPSTART, AT+CIPSEND, AT+CIPCLOSE and the "+IPD" message). The
// un-suffixed commands are used: the 1.x AT firmware (SDK 1.5 to 3.0) and the 2.x one both take them.
//
// One connection at a time (AT+CIPMUX=0: the node opens one MQTT connection), one command at a time: a queue of
// [text, callback, bytes to send at the '>' prompt, the socket it is for], each command with a timeout. The receive
// side is one parser over a buffer string: lines, the '>' prompt of AT+CIPSEND, and "+IPD,<len>:" payloads taken
// by count (they may hold "\r\n" and any byte, and arrive split across reads) and handed to the socket as they come.
//
// Written for the interpreter: one closure, a dozen functions, no object per byte or per line; the socket a
// connection gets is a small object whose methods are shared and check that it is still the current one.
import { NetLink, NetSocket } from "../hal/types";
import { NetSetting } from "../app/node-settings";
import { RuntimeBoard } from "../boards/types";
import { SensorHardware } from "../app/sensors";

/** The reason a command that got no answer gives: the join's, and the watcher's when it happens twice running. */
const MUTE = "module not answering";

/**
 * Why AT+CWJAP failed, from the "+CWJAP:<error code>" line before its FAIL (§4, AT+CWJAP: 1 connection timeout,
 * 2 wrong password, 3 cannot find the target AP, 4 connection failed); "failed" without a code.
 */
export function joinError(info: string): string {
  return "failed,timeout,wrong password,no access point".split(",")[+info.substr(7) & 3];
}

/** The signal in dBm from the answer to AT+CWJAP? ("+CWJAP:<ssid>,<bssid>,<channel>,<rssi>[,...]"), else undefined. */
export function rssiOf(info: string): number | undefined {
  // the fields after the bssid's closing quote are numbers: <channel>,<rssi> (2.x adds more after them); the
  // ssid may hold commas and quotes, so it is skipped that way rather than counted
  const v = +info.substr(info.lastIndexOf('"') + 2).split(",")[1];
  return v < 0 ? v : undefined;
}

/** A string argument of an AT command: quoted, with ',', '"' and '\' escaped by '\' (§4, AT+CWJAP notes). */
function quote(s: string): string {
  let r = '"';
  for (let i = 0; i < s.length; i++) r += (',"\\'.indexOf(s[i]) < 0 ? "" : "\\") + s[i];
  return r + '"';
}

/**
 * The link over the ESP8266 module the board wires (boards/pico-esp8266.ts): its UART (115200 baud, the AT
 * firmware's default) and its enable (CH_PD) pin, which starts a join with a power cycle (which also frees a hung
 * module); without an enable pin a join starts with AT+RST. The board and its hardware are taken here rather than by
 * a wrapper: the release build would move this function into a single caller, and every function below would then
 * keep one more scope (docs/footprint.md).
 */
export function esp8266Link(net: NetSetting, board: RuntimeBoard, hw: Pick<SensorHardware, "serial" | "pin" | "digitalWrite">): NetLink {
  const w = board.esp8266!;
  const port = hw.serial(w.serial, w.rx, w.tx);
  const enable = w.enable && hw.pin(w.enable);
  let rx = ""; // bytes received, not parsed yet
  let ipd = 0; // bytes of an +IPD payload still to come
  let q: any[] = []; // commands waiting
  let cur: any = 0; // the command under way
  let t: any = 0; // its timer, or the join's wait for "ready"; 0 once run (the interpreter reuses timer ids)
  let info = ""; // the last "+..." line its answer held
  let chunk = ""; // AT+CIPSEND under way: the bytes to write at '>', "" once written
  let misses = 0; // commands in a row that got no answer
  let up = 0; // 0 down, 1 waiting for the module to start, 2 joining, 3 joined
  let js: string[] = []; // the join's commands still to send
  let jd: any = 0; // the join's done
  let lost: any = 0;
  // the connection: its socket (which holds the "data" and "close" handlers), state (0 none, 1 opening, 2 open,
  // 3 ending), bytes to send, the AT+CIPSEND or AT+CIPCLOSE under way for it, and onConnect
  let so: any = {};
  let st = 0;
  let out = "";
  let busy: any = 0;
  let oc: any = 0;

  function cmd(c: string, cb: (err: string | undefined, info: string, c: any[]) => void, bytes?: string) {
    const e = [c, cb, bytes, so];
    q.push(e);
    go();
    return e;
  }

  function go() {
    if (cur || !q.length) return;
    cur = q.shift();
    info = "";
    chunk = cur[2] || "";
    port.write(cur[0] + "\r\n");
    // commands with a quoted argument or bytes to send wait on the radio or the network (association and DHCP take
    // up to 15 s in the module, a TCP handshake or a name look-up several, SEND OK waits for the peer's ACK on a
    // weak link); the others answer at once
    t = setTimeout(expire, cur[2] || cur[0].indexOf('"') > 0 ? 2e4 : 5e3);
  }

  function expire() {
    t = 0;
    if (++misses > 1 && up) down(MUTE);
    fin(MUTE);
  }

  // The command under way is answered: no error, an error line, or MUTE. Its callback gets what the
  // "+..." line said and its own entry.
  function fin(err?: string) {
    const c = cur;
    if (!c) return;
    if (t) clearTimeout(t);
    t = cur = 0;
    chunk = "";
    c[1](err, info, c);
    go();
  }

  // The link is down: the join under way fails with `why`, or the watcher hears it.
  function down(why: string) {
    const j = jd;
    const u = up;
    up = jd = 0;
    shut();
    if (j) j(why);
    else if (u > 2 && lost) lost(why);
  }

  // The join's commands, one after another, from when the module said "ready" after the reset (or 5 s went by:
  // some firmware says nothing the driver can read at 115200 baud).
  function step(err?: string, inf?: string) {
    if (!jd) return;
    if (up < 2) {
      t = 0;
      up = 2;
    }
    if (err) return down(err === MUTE ? err : joinError(inf!));
    const c = js.shift();
    if (c) cmd(c, step);
    else {
      up = 3;
      const j = jd;
      jd = 0;
      j();
    }
  }

  function power() {
    if (w.enable) hw.digitalWrite(enable, true);
    else port.write("AT+RST\r\n");
    up = 1;
    t = setTimeout(step, 5000);
  }

  // The connection is over: "close", once.
  function shut() {
    if (!st) return;
    st = 0;
    out = "";
    if (so.close) so.close();
  }

  // The next AT+CIPSEND (at most 2048 bytes, §5 AT+CIPSEND), or the AT+CIPCLOSE once everything went out.
  function pump() {
    if (busy || !st) return;
    const b = out.substr(0, 2048);
    if (b) {
      busy = cmd("AT+CIPSEND=" + b.length, io, b);
      out = out.substr(2048);
    } else if (st > 2) busy = cmd("AT+CIPCLOSE", io);
  }

  // AT+CIPSTART, AT+CIPSEND or AT+CIPCLOSE answered (told apart by their 8th letter: T, E, L).
  function io(err: string | undefined, _i: string, c: any[]) {
    if (c === busy) busy = 0;
    const k = c[0][7];
    if (c[3] === so) {
      if (err || k === "L") shut();
      else if (k === "T" && st === 1) {
        st = 2;
        if (oc) oc();
      }
    }
    pump();
  }

  // The socket's methods, shared by every connection: `this` is the socket.
  function write(this: any, d: string) {
    if (this !== so || !(st % 3)) return false;
    out += d;
    pump();
    return true;
  }

  function end(this: any) {
    if (this === so && st && st < 3) {
      st = 3;
      pump();
    }
  }

  // on("data" | "close", handler): kept on the socket itself; "error" is never emitted, "close" always is
  function on(this: any, ev: string, cb: any) {
    this[ev] = cb;
  }

  port.setup(115200);
  port.on("data", function (d: string) {
    rx += d;
    for (;;) {
      if (ipd) {
        const p = rx.substr(0, ipd);
        if (!p) return;
        rx = rx.substr(p.length);
        ipd -= p.length;
        if (st && so.data) so.data(p);
        continue;
      }
      if (!rx.indexOf("+IPD,")) {
        // "+IPD,<len>:<data>" (§5, with AT+CIPMUX=0): the header may not be whole yet
        const c = rx.indexOf(":");
        if (c > 5 && c < 12) {
          ipd = +rx.substring(5, c);
          rx = rx.substr(c + 1);
          continue;
        }
        if (c < 0 && rx.length < 12) return;
      }
      if (chunk && rx[0] === ">") {
        // AT+CIPSEND's prompt: now exactly the bytes announced
        port.write(chunk);
        chunk = "";
        rx = rx.substr(1);
        continue;
      }
      const e = rx.indexOf("\n");
      if (e < 0) return;
      const l = rx.substr(0, e).trim();
      rx = rx.substr(e + 1);
      if (!l) continue;
      misses = 0;
      // "OK" before AT+CIPSEND's prompt is not its answer
      if (l === "OK" || l === "SEND OK") {
        if (!chunk) fin();
      } else if (l[0] === "+") info = l;
      // ERROR, FAIL (AT+CWJAP in 1.x), SEND FAIL
      else if (l === "ERROR" || l.indexOf("FAIL") >= 0) fin(l);
      else if (l.indexOf("CLOSED") >= 0) {
        // the peer or the module ended the connection (while opening, AT+CIPSTART's ERROR says it)
        if (st > 1) shut();
      } else if (l === "WIFI DISCONNECT") {
        // (while joining, AT+CWJAP drops an association the module made by itself: its answer says how it went)
        if (up > 2) down("access point lost");
      } else if (l === "ready") {
        // the module started: after our reset (the join goes on), or by itself (a brown-out on a current peak, a
        // crash), which loses everything it had
        if (up === 1) {
          clearTimeout(t);
          step();
        } else if (up) down("module reset");
      } else if (!l.indexOf("busy") && cur) {
        // "busy p..." / "busy s...": the command was refused while the module was busy; again in 1 s
        if (t) clearTimeout(t);
        t = setTimeout(again, 1000);
      }
    }
  });

  function again() {
    t = 0;
    q.unshift(cur);
    cur = 0;
    go();
  }

  return {
    join: function (done) {
      if (t) clearTimeout(t);
      t = cur = up = 0;
      q = [];
      rx = chunk = "";
      // a send under way when the link went is over with it: pump() must not wait for its answer
      busy = 0;
      ipd = 0;
      shut();
      jd = done;
      js = ["ATE0", "AT+CWMODE=1", "AT+CIPMUX=0",
        // a static address turns the station's DHCP off (§4 AT+CIPSTA); the module keeps it across resets, so
        // without one DHCP is turned on again (AT+CWDHCP=1,1: enable, station, in 1.x and 2.x alike)
        net.ip ? "AT+CIPSTA=" + quote(net.ip) + (net.gw && net.mask ? "," + quote(net.gw) + "," + quote(net.mask) : "") : "AT+CWDHCP=1,1",
        "AT+CWJAP=" + quote(net.ssid || "") + "," + quote(net.pass || "")];
      if (w.enable) {
        // CH_PD low for 50 ms: the module starts from scratch
        hw.digitalWrite(enable, false);
        t = setTimeout(power, 50);
      } else power();
    },
    watch: function (cb) {
      lost = cb;
    },
    rssi: function (done) {
      // (while joining, the module is busy with the join)
      if (up < 3) return done();
      cmd("AT+CWJAP?", function (err, i) {
        done(err ? undefined : rssiOf(i));
      });
    },
    connect: function (to, onConnect): NetSocket {
      if (st) {
        // one connection at a time: the last one ends first
        shut();
        cmd("AT+CIPCLOSE", io);
      }
      so = { write: write, end: end, on: on };
      st = 1;
      out = "";
      oc = onConnect;
      // not joined: it fails at once (as the interpreter's own net module does with no link)
      if (up < 3) setTimeout(shut, 0);
      else cmd('AT+CIPSTART="TCP",' + quote(to.host) + "," + to.port, io);
      return so;
    },
  };
}
