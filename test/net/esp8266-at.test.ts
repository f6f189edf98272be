// The ESP8266 AT driver on its own: the pure parts (join errors, the signal), then the driver against a scripted
// UART in Node with fake timers, where every byte the module would send is chosen by the test: the '>' prompt after
// AT+CIPSEND's OK, +IPD payloads holding line ends, AT-looking text and every byte value, split at every position.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { esp8266Link, joinError, rssiOf } from "../../firmware/net/esp8266-at";
import type { NetSetting } from "../../firmware/app/node-settings";

describe("the AT answers the driver reads", () => {
  it("names why AT+CWJAP failed from its error code", () => {
    expect(joinError("+CWJAP:1")).toBe("timeout");
    expect(joinError("+CWJAP:2")).toBe("wrong password");
    expect(joinError("+CWJAP:3")).toBe("no access point");
    expect(joinError("+CWJAP:4")).toBe("failed");
    expect(joinError("")).toBe("failed");
  });

  it("reads the signal from AT+CWJAP? in the 1.x and 2.x forms, with commas and quotes in the name", () => {
    expect(rssiOf('+CWJAP:"site-ap","a4:2b:b0:01:02:03",6,-61')).toBe(-61);
    expect(rssiOf('+CWJAP:"a,b\\"c","a4:2b:b0:01:02:03",11,-88,0,1,3,0,1')).toBe(-88);
    expect(rssiOf("")).toBeUndefined();
    expect(rssiOf("No AP")).toBeUndefined();
  });
});

function scripted(net: NetSetting = { kind: "wifi", ssid: "ap", pass: "pw" }) {
  const writes: string[] = [];
  let listener: (d: string) => void = () => {};
  const enable: boolean[] = [];
  const port = {
    setup: vi.fn(),
    write: (d: string | Uint8Array | number[]) => void writes.push(String(d)),
    on: (_e: "data", cb: (d: string) => void) => void (listener = cb),
  };
  const board = { id: "pico-esp8266", ctPins: [], esp8266: { serial: "Serial2", rx: "A3", tx: "A2", baud: 115200, enable: "A10" } };
  const hw = {
    serial: () => port,
    pin: (name: string) => name,
    digitalWrite: (pin: unknown, on: boolean) => void (pin === "A10" && enable.push(on)),
  };
  const link = esp8266Link(net, board, hw);
  const log: string[] = [];
  link.watch((why) => log.push("lost " + why));
  return {
    link, writes, enable, log,
    feed: (s: string) => listener(s),
    /** The last command line written (without its "\r\n"). */
    last: () => writes[writes.length - 1].replace(/\r\n$/, ""),
  };
}

/** Joins: answers every join command with OK, AT+CWJAP with its Wi-Fi messages. */
function joined(s: ReturnType<typeof scripted>) {
  let result: string | undefined = "pending";
  s.link.join((e) => (result = e));
  vi.advanceTimersByTime(5050);
  for (let i = 0; i < 10 && result === "pending"; i++) {
    const cmd = s.last();
    s.feed(cmd.startsWith("AT+CWJAP=") ? "WIFI CONNECTED\r\nWIFI GOT IP\r\n\r\nOK\r\n" : "\r\nOK\r\n");
  }
  expect(result).toBeUndefined();
}

function opened(s: ReturnType<typeof scripted>) {
  const ev: string[] = [];
  let got = "";
  const sock = s.link.connect!({ host: "10.0.0.2", port: 1883 }, () => ev.push("open"));
  sock.on("data", (d: string) => (got += d));
  sock.on("close", () => ev.push("close"));
  expect(s.last()).toBe('AT+CIPSTART="TCP","10.0.0.2",1883');
  s.feed("CONNECT\r\n\r\nOK\r\n");
  expect(ev).toEqual(["open"]);
  return { sock, ev, got: () => got };
}

/** Every byte value, line ends, and text that looks like the module's own messages. */
const NASTY = (() => {
  let s = "\r\nOK\r\n+IPD,3:>\r\nCLOSED\r\nready\r\nWIFI DISCONNECT\r\n";
  for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
  return s + "\n\r";
})();

describe("the driver against a scripted module", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("power-cycles the module through its enable pin, then sends the join's commands in order", () => {
    const s = scripted({ kind: "wifi", ssid: 'my "ap"', pass: "a,b\\c", ip: "192.168.1.9", gw: "192.168.1.1", mask: "255.255.255.0" });
    joined(s);
    expect(s.enable).toEqual([false, true]);
    expect(s.writes).toEqual([
      "ATE0\r\n", "AT+CWMODE=1\r\n", "AT+CIPMUX=0\r\n", 'AT+CIPSTA="192.168.1.9","192.168.1.1","255.255.255.0"\r\n',
      'AT+CWJAP="my \\"ap\\"","a\\,b\\\\c"\r\n',
    ]);
  });

  it("names a failed join from the +CWJAP code before FAIL (1.x) or ERROR (2.x)", () => {
    for (const [answer, reason] of [
      ["+CWJAP:2\r\n\r\nFAIL\r\n", "wrong password"],
      ["WIFI DISCONNECT\r\n+CWJAP:3\r\n\r\nERROR\r\n", "no access point"],
      ["+CWJAP:1\r\n\r\nFAIL\r\n", "timeout"],
      ["\r\nERROR\r\n", "failed"],
    ]) {
      const s = scripted();
      let result: string | undefined = "pending";
      s.link.join((e) => (result = e));
      vi.advanceTimersByTime(60); // the enable pin back high after 50 ms
      expect(s.writes).toEqual([]);
      s.feed("\x00\xe0\x8c\r\nready\r\n"); // the join goes on at once
      for (let i = 0; i < 4; i++) s.feed("\r\nOK\r\n");
      expect(s.last()).toBe('AT+CWJAP="ap","pw"');
      s.feed(answer);
      expect(result).toBe(reason);
      expect(s.log).toEqual([]);
    }
  });

  it("takes +IPD payloads by count, whatever they hold and wherever the reads split them", () => {
    const msg = `\r\n+IPD,${NASTY.length}:${NASTY}\r\n+IPD,2:\r\n`;
    for (let k = 0; k <= msg.length; k++) {
      const s = scripted();
      joined(s);
      const c = opened(s);
      s.feed(msg.slice(0, k));
      s.feed(msg.slice(k));
      expect(c.got()).toBe(NASTY + "\r\n");
      expect(c.ev).toEqual(["open"]);
      expect(s.log).toEqual([]);
    }
  });

  it("writes in AT+CIPSEND chunks of at most 2048 bytes, each only after its '>' and the last one's SEND OK", () => {
    const s = scripted();
    joined(s);
    const c = opened(s);
    let data = "";
    for (let i = 0; i < 5000; i++) data += String.fromCharCode((i * 31 + (i >> 8)) & 255);
    expect(c.sock.write(data)).toBe(true);
    const sent: string[] = [];
    for (const n of [2048, 2048, 904]) {
      expect(s.last()).toBe("AT+CIPSEND=" + n);
      const before = s.writes.length;
      s.feed("\r\nOK\r\n");
      expect(s.writes.length).toBe(before); // the OK is not the prompt
      s.feed("> ");
      sent.push(s.writes[s.writes.length - 1]);
      expect(sent[sent.length - 1].length).toBe(n);
      s.feed(`\r\nRecv ${n} bytes\r\n`);
      expect(s.writes.length).toBe(before + 1); // nothing more until SEND OK
      s.feed("\r\nSEND OK\r\n");
    }
    expect(sent.join("")).toBe(data);
    expect(s.writes.length).toBe(5 + 1 + 6);
  });

  it("closes once: on SEND FAIL, on CLOSED, on end()", () => {
    const s = scripted();
    joined(s);
    const a = opened(s);
    a.sock.write("x");
    s.feed("\r\nOK\r\n> ");
    s.feed("\r\nSEND FAIL\r\n");
    s.feed("CLOSED\r\n");
    expect(a.ev).toEqual(["open", "close"]);
    expect(a.sock.write("y")).toBe(false);

    const b = opened(s);
    s.feed("CLOSED\r\n");
    s.feed("CLOSED\r\n");
    expect(b.ev).toEqual(["open", "close"]);

    const c = opened(s);
    c.sock.write("bye");
    c.sock.end();
    c.sock.end();
    expect(s.last()).toBe("AT+CIPSEND=3"); // what was written goes out first
    s.feed("\r\nOK\r\n> ");
    s.feed("\r\nSEND OK\r\n");
    expect(s.last()).toBe("AT+CIPCLOSE");
    expect(c.ev).toEqual(["open"]);
    s.feed("CLOSED\r\n\r\nOK\r\n");
    expect(c.ev).toEqual(["open", "close"]);
    expect(s.log).toEqual([]);
  });

  it("tells the watcher when the access point goes, and closes the connection", () => {
    const s = scripted();
    joined(s);
    const c = opened(s);
    s.feed("WIFI DISCONNECT\r\n");
    expect(s.log).toEqual(["lost access point lost"]);
    expect(c.ev).toEqual(["open", "close"]);
  });

  it("sends on a new connection after the access point went in the middle of a send", () => {
    const s = scripted();
    joined(s);
    const a = opened(s);
    a.sock.write("lost in the air");
    expect(s.last()).toBe("AT+CIPSEND=15");
    // the access point goes before the module answered the send: no SEND OK, no SEND FAIL ever comes
    s.feed("WIFI DISCONNECT\r\n");
    expect(a.ev).toEqual(["open", "close"]);
    joined(s);
    const b = opened(s);
    expect(b.sock.write("CONNECT")).toBe(true);
    expect(s.last()).toBe("AT+CIPSEND=7");
    s.feed("\r\nOK\r\n> ");
    expect(s.writes[s.writes.length - 1]).toBe("CONNECT");
  });

  it("takes a command that keeps timing out for a module that has stopped answering", () => {
    const s = scripted();
    joined(s);
    const c = opened(s);
    c.sock.write("ping");
    vi.advanceTimersByTime(19_999);
    expect(c.ev).toEqual(["open"]); // a send may wait long for its SEND OK
    vi.advanceTimersByTime(2);
    expect(c.ev).toEqual(["open", "close"]);
    expect(s.log).toEqual([]);
    // the next command gets no answer either: two in a row
    const ev: string[] = [];
    const d = s.link.connect!({ host: "10.0.0.2", port: 1883 }, () => ev.push("open"));
    d.on("close", () => ev.push("close"));
    vi.advanceTimersByTime(20001);
    expect(ev).toEqual(["close"]);
    expect(s.log).toEqual(["lost module not answering"]);
  });

  it("answers the signal at once while not joined, without disturbing a join under way", () => {
    const s = scripted();
    let result: string | undefined = "pending";
    s.link.join((e) => (result = e));
    vi.advanceTimersByTime(60);
    let rssi: number | undefined = 0;
    s.link.rssi!((d) => (rssi = d));
    expect(rssi).toBeUndefined();
    expect(s.writes).toEqual([]);
    s.feed("\r\nready\r\n");
    expect(s.last()).toBe("ATE0");
    expect(result).toBe("pending");
  });

  it("sends a command again after the module said it was busy", () => {
    const s = scripted();
    joined(s);
    let rssi: number | undefined = 0;
    s.link.rssi!((d) => (rssi = d));
    expect(s.last()).toBe("AT+CWJAP?");
    s.feed("busy p...\r\n");
    const n = s.writes.length;
    vi.advanceTimersByTime(999);
    expect(s.writes.length).toBe(n);
    vi.advanceTimersByTime(2);
    expect(s.writes.length).toBe(n + 1);
    s.feed('+CWJAP:"ap","a4:2b:b0:01:02:03",6,-70\r\n\r\nOK\r\n');
    expect(rssi).toBe(-70);
  });
});
