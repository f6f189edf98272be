// An ESP8266 module running Espressif's AT firmware (1.x command set), on a virtual UART of the virtual Espruino:
// what the Pico-with-ESP8266 board talks to. It answers the commands of the ESP8266 AT Instruction Set the way the
// module does on its wire (echo until ATE0, "busy p..." while it is joining, the '>' prompt of AT+CIPSEND and
// exactly n bytes after it, "+IPD,<len>:" for what arrives, "WIFI CONNECTED" / "WIFI GOT IP" / "WIFI DISCONNECT",
// "CLOSED", "ready" after a reset), on the virtual clock and at the UART's byte rate.
//
// Its one TCP connection (AT+CIPMUX=0) goes through a connect function of the form require("net").connect has: the
// virtual Espruino's net bridge (esp.net.firmwareModule().connect), so a board's MQTT traffic reaches a real broker
// the way it does on the boards with their own network. It joins one access point, whose name, password and signal
// the test sets, and faults can be switched at run time: wrong password and no access point come from the settings;
// the access point lost (now, or in the middle of the next send), a slow DHCP server, a module that has stopped
// answering, a module that resets by itself, a module that answers "busy p..." are switches.
import type { SerialDevice, SerialLine } from "./types";

export interface AccessPoint {
  ssid: string;
  pass: string;
  /** dBm, as AT+CWJAP? reports it. */
  rssi: number;
  bssid?: string;
  channel?: number;
}

/** A TCP socket as require("net").connect gives it. */
export interface ModemSocket {
  write(data: string): unknown;
  end(): void;
  on(event: string, callback: (...args: any[]) => void): void;
}

export type ModemConnect = (to: { host: string; port: number }, onConnect: () => void) => ModemSocket;

export interface Esp8266AtModemOptions {
  /** How the module's TCP connection is opened (the net bridge's connect, or any function of that form). */
  connect: ModemConnect;
  /** The access point in range; null: none. */
  ap?: AccessPoint | null;
  /** UART bit rate (the AT firmware's default 115200): answers take their time on the wire. */
  baud?: number;
  /** Hand what the module sends to the firmware in pieces of at most this many bytes (0: each answer whole). */
  chunk?: number;
  /** From power-on or a reset to "ready", ms (default 400). */
  bootMs?: number;
  /** From AT+CWJAP to WIFI CONNECTED, ms (default 1500); a wrong password or a missing access point takes as long. */
  assocMs?: number;
  /** From WIFI CONNECTED to WIFI GOT IP with DHCP, ms (default 300). */
  dhcpMs?: number;
  /** The module's own limit on AT+CWJAP (default 15 s): beyond it, "+CWJAP:1" (connection timeout) and FAIL. */
  joinLimitMs?: number;
}

export interface ModemStats {
  /** Every command line received, as sent (without "\r\n"). */
  commands: string[];
  /** AT+CIPSEND payloads taken, and their sizes. */
  sends: number[];
  /** Bytes passed to the firmware in +IPD messages. */
  ipdBytes: number;
  /** Times the module started (power-on through the enable pin, AT+RST, a reset of its own). */
  boots: number;
  /** TCP connections opened. */
  connects: number;
}

const OK = "\r\nOK\r\n";
const ERROR = "\r\nERROR\r\n";
/** The boot ROM's messages at 74880 baud, as they look at 115200: bytes of every kind, a few line ends. */
const BOOT_NOISE = "\x00\xe0\x8c\x1c\x92\xfe\x12\r\n\x0c\x8c\x9c\xe3\x00\x7f\xf0\r\nl\x9c\x9e|\x00\x8c\xe2\x1c\x0c\r\n";

/** The quoted, comma-separated arguments of an AT command, with '\' escapes undone ("a\,b" -> a,b). */
export function atArguments(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) cur += text[++i];
    else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export class Esp8266AtModem implements SerialDevice {
  /** The access point in range (null: none); change it at any time. */
  ap: AccessPoint | null;
  dhcpMs: number;
  /** The module has stopped answering: it takes nothing in and says nothing (a hang, a broken wire, no power). */
  silent = false;
  /** The next this-many commands are refused with "busy p..." (as while the module is busy with something else). */
  busyNext = 0;
  /** The access point goes away while the next AT+CIPSEND's bytes are on their way: WIFI DISCONNECT, CLOSED, SEND FAIL. */
  loseApDuringNextSend = false;
  readonly stats: ModemStats = { commands: [], sends: [], ipdBytes: 0, boots: 0, connects: 0 };

  private line: SerialLine | null = null;
  private readonly o: Required<Omit<Esp8266AtModemOptions, "ap">>;
  private powered = true;
  /** Bumped by every reset and power-off: what was scheduled before belongs to a module that is gone. */
  private epoch = 0;
  private echo = true;
  /** Kept in the module's flash across resets (the 1.x AT firmware saves AT+CWMODE, AT+CIPSTA, AT+CWDHCP). */
  private mode = 2;
  private dhcp = true;
  private staticIp = "";
  private state: "idle" | "joining" | "associated" | "up" = "idle";
  private joinedAp: AccessPoint | null = null;
  private ip = "";
  private tcp: { socket: ModemSocket; open: boolean } | null = null;
  private inBuf = "";
  private sendLeft = 0;
  private sendBuf = "";
  /** When the UART is free to send the next byte, virtual ms. */
  private txFreeMs = 0;

  constructor(o: Esp8266AtModemOptions) {
    this.o = { baud: 115200, chunk: 0, bootMs: 400, assocMs: 1500, dhcpMs: 300, joinLimitMs: 15000, ...o };
    this.ap = o.ap ?? null;
    this.dhcpMs = this.o.dhcpMs;
  }

  attach(line: SerialLine): void {
    this.line = line;
    line.onFirmwareWrite((bytes) => this.fromFirmware(bytes));
  }

  /** The module's CH_PD/EN input on a pin of the board: low holds it off, a write of high starts it. */
  attachEnable(pin: { watch(callback: (level: number) => void): void }): void {
    pin.watch((level) => {
      if (!level) this.powerOff();
      else if (!this.powered) {
        this.powered = true;
        this.boot();
      }
    });
  }

  /** Whether the module holds an address from the access point. */
  get online(): boolean {
    return this.state === "up";
  }

  /** The station's address (DHCP's or the static one) while it has one, else "". */
  get address(): string {
    return this.ip;
  }

  /** The access point goes away now: WIFI DISCONNECT, and CLOSED for an open connection. */
  loseAccessPoint(): void {
    this.ap = null;
    this.dropAssociation();
  }

  /** The module resets by itself (a brown-out on a current peak): everything is lost; "ready" after it boots. */
  reset(): void {
    this.powerOff();
    this.powered = true;
    this.boot();
  }

  private get now(): number {
    return this.line ? this.line.now() * 1000 : 0;
  }

  private later(ms: number, fn: () => void): void {
    const epoch = this.epoch;
    this.line?.schedule(ms, () => {
      if (epoch === this.epoch && this.powered) fn();
    });
  }

  /** Bytes from the module to the firmware, each piece when its last byte has crossed the UART. */
  private send(s: string): void {
    const line = this.line;
    if (!line || !this.powered || this.silent || !s) return;
    const byteMs = 10000 / this.o.baud;
    const piece = this.o.chunk > 0 ? this.o.chunk : s.length;
    let at = Math.max(this.now, this.txFreeMs);
    for (let i = 0; i < s.length; i += piece) {
      const p = s.substr(i, piece);
      at += p.length * byteMs;
      const epoch = this.epoch;
      line.schedule(at - this.now, () => {
        if (epoch === this.epoch) line.sendToFirmware(p);
      });
    }
    this.txFreeMs = at;
  }

  private powerOff(): void {
    this.powered = false;
    this.epoch++;
    this.state = "idle";
    this.joinedAp = null;
    this.ip = "";
    this.inBuf = "";
    this.sendLeft = 0;
    this.txFreeMs = 0;
    this.closeTcp();
  }

  private boot(): void {
    this.echo = true;
    this.later(this.o.bootMs, () => {
      this.stats.boots++;
      this.send(BOOT_NOISE + "\r\nready\r\n");
    });
  }

  private fromFirmware(bytes: string): void {
    if (!this.powered || this.silent) return;
    let rest = bytes;
    while (rest) {
      if (this.sendLeft > 0) {
        const take = rest.substr(0, this.sendLeft);
        this.sendBuf += take;
        this.sendLeft -= take.length;
        rest = rest.substr(take.length);
        if (this.sendLeft === 0) this.sent();
        continue;
      }
      this.inBuf += rest;
      rest = "";
      for (let e = this.inBuf.indexOf("\r\n"); e >= 0 && this.sendLeft === 0; e = this.inBuf.indexOf("\r\n")) {
        const text = this.inBuf.slice(0, e);
        this.inBuf = this.inBuf.slice(e + 2);
        this.command(text);
        // bytes after AT+CIPSEND=n's line are its payload (the firmware should wait for '>', a careless one does not)
        if (this.sendLeft > 0) {
          rest = this.inBuf;
          this.inBuf = "";
        }
      }
    }
  }

  private command(text: string): void {
    if (this.echo) this.send(text + "\r\r\n");
    if (!text) return;
    this.stats.commands.push(text);
    if (this.busyNext > 0 || this.state === "joining") {
      if (this.busyNext > 0) this.busyNext--;
      this.send("busy p...\r\n");
      return;
    }
    const m = /^AT(?:\+([A-Z]+)(?:_CUR|_DEF)?)?(E[01])?(\?|=(.*))?$/.exec(text);
    if (!m) return this.send(ERROR);
    const [, name = "", e, query, args = ""] = m;
    const a = atArguments(args);
    const set = query !== undefined && query !== "?";
    if (e) {
      this.echo = e === "E1";
      return this.send(OK);
    }
    switch (name) {
      case "":
        return this.send(OK);
      case "RST":
        this.send(OK);
        this.later(20, () => this.reset());
        return;
      case "GMR":
        return this.send("AT version:1.7.4.0(simulated)\r\nSDK version:3.0.4\r\n" + OK);
      case "CWMODE":
        if (query === "?") return this.send(`+CWMODE:${this.mode}\r\n` + OK);
        if (!["1", "2", "3"].includes(a[0])) return this.send(ERROR);
        this.mode = +a[0];
        return this.send(OK);
      case "CIPMUX":
        if (set && a[0] !== "0" && a[0] !== "1") return this.send(ERROR);
        return this.send(OK);
      case "CWDHCP":
        if (!set) return this.send(ERROR);
        this.dhcp = a[0] === "1" && a[1] === "1";
        if (this.dhcp) this.staticIp = "";
        return this.send(OK);
      case "CIPSTA":
        if (query === "?") return this.send(`+CIPSTA:ip:"${this.ip || "0.0.0.0"}"\r\n` + OK);
        if (!/^\d+\.\d+\.\d+\.\d+$/.test(a[0])) return this.send(ERROR);
        this.staticIp = a[0];
        this.dhcp = false;
        if (this.state === "up") this.ip = a[0];
        return this.send(OK);
      case "CWJAP":
        if (query === "?") {
          const ap = this.joinedAp;
          if (this.state !== "up" || !ap) return this.send("No AP\r\n" + OK);
          return this.send(`+CWJAP:"${ap.ssid}","${ap.bssid ?? "a4:2b:b0:01:02:03"}",${ap.channel ?? 6},${ap.rssi}\r\n` + OK);
        }
        if (!set || a.length < 2) return this.send(ERROR);
        if (this.mode === 2) return this.send(ERROR);
        return this.join(a[0], a[1]);
      case "CWQAP":
        this.dropAssociation();
        return this.send(OK);
      case "CIPSTART":
        return this.open(a);
      case "CIPSEND": {
        const n = +a[0];
        if (!this.tcp || !this.tcp.open) return this.send("link is not valid\r\n" + ERROR);
        if (!(n >= 1 && n <= 2048)) return this.send(ERROR);
        this.sendLeft = n;
        this.sendBuf = "";
        return this.send(OK + "> ");
      }
      case "CIPCLOSE":
        if (!this.tcp) return this.send(ERROR);
        this.closeTcp();
        return this.send("CLOSED\r\n" + OK);
      default:
        return this.send(ERROR);
    }
  }

  private join(ssid: string, pass: string): void {
    if (this.state !== "idle") this.dropAssociation();
    this.state = "joining";
    const started = this.now;
    const fail = (code: number) => {
      this.state = "idle";
      this.send(`+CWJAP:${code}\r\n\r\nFAIL\r\n`);
    };
    this.later(this.o.assocMs, () => {
      const ap = this.ap;
      if (!ap || ap.ssid !== ssid) return fail(3);
      if (ap.pass !== pass) return fail(2);
      this.state = "associated";
      this.joinedAp = ap;
      this.send("WIFI CONNECTED\r\n");
      const gotIp = () => {
        if (this.state !== "associated") return;
        this.state = "up";
        this.ip = this.staticIp || "192.168.4.23";
        this.send("WIFI GOT IP\r\n" + OK);
      };
      if (!this.dhcp) return this.later(5, gotIp);
      const left = this.o.joinLimitMs - (this.now - started);
      if (this.dhcpMs > left) {
        // no address in time: the module gives up on the join by itself
        this.later(left, () => {
          if (this.state !== "associated") return;
          this.send("WIFI DISCONNECT\r\n");
          this.joinedAp = null;
          fail(1);
        });
        return;
      }
      this.later(this.dhcpMs, gotIp);
    });
  }

  private dropAssociation(): void {
    if (this.state === "idle") return;
    const wasJoining = this.state === "joining";
    this.state = "idle";
    this.joinedAp = null;
    this.ip = "";
    if (wasJoining) return;
    this.send("WIFI DISCONNECT\r\n");
    if (this.tcp) {
      this.closeTcp();
      this.send("CLOSED\r\n");
    }
  }

  private open(a: string[]): void {
    const [type, host, port] = a;
    if (type !== "TCP" || !host || !(+port > 0)) return this.send(ERROR);
    if (this.tcp) return this.send("ALREADY CONNECTED\r\n" + ERROR);
    if (this.state !== "up") return this.send(ERROR + "CLOSED\r\n");
    const epoch = this.epoch;
    const tcp: { socket: ModemSocket; open: boolean } = { socket: null as unknown as ModemSocket, open: false };
    this.tcp = tcp;
    const mine = () => this.tcp === tcp && epoch === this.epoch;
    tcp.socket = this.o.connect({ host, port: +port }, () => {
      if (!mine()) return;
      tcp.open = true;
      this.stats.connects++;
      this.send("CONNECT\r\n" + OK);
    });
    tcp.socket.on("data", (d: string) => {
      if (!mine() || !tcp.open) return;
      // as TCP segments arrive: at most 1460 bytes in one +IPD
      for (let i = 0; i < d.length; i += 1460) {
        const p = d.substr(i, 1460);
        this.stats.ipdBytes += p.length;
        this.send(`\r\n+IPD,${p.length}:` + p);
      }
    });
    tcp.socket.on("error", () => {});
    tcp.socket.on("close", () => {
      if (!mine()) return;
      const wasOpen = tcp.open;
      this.tcp = null;
      this.send(wasOpen ? "CLOSED\r\n" : ERROR + "CLOSED\r\n");
    });
  }

  private closeTcp(): void {
    const tcp = this.tcp;
    this.tcp = null;
    if (tcp) tcp.socket.end();
  }

  /** The n bytes after '>' have come. */
  private sent(): void {
    const data = this.sendBuf;
    this.sendBuf = "";
    this.stats.sends.push(data.length);
    this.send(`\r\nRecv ${data.length} bytes\r\n`);
    if (this.loseApDuringNextSend) {
      this.loseApDuringNextSend = false;
      this.loseAccessPoint();
      this.send("\r\nSEND FAIL\r\n");
      return;
    }
    const tcp = this.tcp;
    if (!tcp || !tcp.open) return this.send("\r\nSEND FAIL\r\n");
    tcp.socket.write(data);
    this.later(5, () => this.send("\r\nSEND OK\r\n"));
  }
}
