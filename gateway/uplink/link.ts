// The connection to the central broker, with every byte that crosses the TCP socket counted: mqtt.js writes into a
// TLS socket (mqtts://) that writes into a counting stream wrapped around the TCP socket, so the count includes
// TLS handshakes and record overhead, MQTT headers, PUBACKs, PINGREQ/PINGRESP and every reconnect. (TCP/IP headers,
// about 40 bytes per segment, are below this layer and not counted.)
import { readFileSync } from "node:fs";
import { isIP, connect as netConnect, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { MqttClient, type IClientOptions } from "mqtt";

/** A duplex over a TCP socket that reports the bytes of every chunk written and read. */
export class CountingStream extends Duplex {
  constructor(
    private readonly sock: Socket,
    private readonly onBytes: (n: number) => void,
  ) {
    super();
    sock.on("data", (d: Buffer) => {
      onBytes(d.length);
      if (!this.push(d)) sock.pause();
    });
    sock.on("end", () => this.push(null));
    sock.on("error", (e) => this.destroy(e));
    sock.on("close", () => this.destroy());
    sock.on("connect", () => this.emit("connect"));
  }

  override _read(): void {
    this.sock.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.onBytes(chunk.length);
    this.sock.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.sock.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.sock.destroy();
    cb(err);
  }
}

export interface LinkOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  keepalive_s: number;
  /** Called with the byte count of each chunk on the wire, both directions. */
  onBytes: (n: number) => void;
}

/**
 * A new MQTT 3.1.1 client for one connection attempt (no automatic reconnect: the uplink decides when, so that a
 * spent budget keeps the link closed, and no session state: the outbox is the only store of what is unacknowledged).
 */
export function openLink(o: LinkOptions): MqttClient {
  const u = new URL(o.url);
  const secure = u.protocol === "mqtts:" || u.protocol === "tls:";
  const port = Number(u.port) || (secure ? 8883 : 1883);
  const host = u.hostname;
  const pem = (p?: string) => (p ? readFileSync(p) : undefined);
  const ca = pem(o.tls?.ca);
  const cert = pem(o.tls?.cert);
  const key = pem(o.tls?.key);
  const build = () => {
    const counted = new CountingStream(netConnect({ host, port }), o.onBytes);
    if (!secure) return counted;
    return tlsConnect({ socket: counted as unknown as Socket, host, servername: isIP(host) ? undefined : host, ca, cert, key, rejectUnauthorized: o.tls?.rejectUnauthorized ?? true });
  };
  const opts: IClientOptions = {
    protocolVersion: 4,
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    keepalive: o.keepalive_s,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  };
  return new MqttClient(build, opts);
}
