// Bytes on a metered link, counted on the TCP socket as the gateway's budget counts them (gateway/uplink/link.ts):
// one MQTT 3.1.1 connection over TLS (Node's default, TLS 1.3) to a broker in this process (aedes on a TLS server
// with a throw-away self-signed certificate), every message published at QoS 1 and its PUBACK awaited before the
// next, as a one-minute uplink sends them. The count includes the handshake, CONNECT/CONNACK, TLS records, MQTT
// headers and PUBACKs (TCP/IP headers are below it, as on the gateway); the handshake is also given on its own.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";
import { openLink } from "../gateway/uplink/link";
import { makeCert } from "../test/uplink/site";

export interface Meter {
  /** Socket bytes of one connection that sends `messages` in order; `setup` the bytes until the CONNACK. */
  count(messages: { topic: string; payload: Buffer }[]): Promise<{ total: number; setup: number }>;
  close(): Promise<void>;
}

/** A TLS broker to count against; undefined (and why) when openssl cannot make the certificate. */
export async function startMeter(): Promise<Meter | string> {
  const dir = mkdtempSync(join(tmpdir(), "mg-meter-"));
  if (!makeCert(dir)) {
    rmSync(dir, { recursive: true, force: true });
    return "openssl is missing (apt-get install -y openssl): no TLS byte count";
  }
  const aedes = await Aedes.createBroker({});
  const server: Server = createServer({ cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) }, (s) =>
    (aedes.handle as unknown as (socket: unknown) => void)(s),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  let n = 0;
  return {
    async count(messages) {
      let bytes = 0;
      const client = openLink({ url: `mqtts://127.0.0.1:${port}`, clientId: `meter-${n++}`, tls: { ca: join(dir, "cert.pem") }, keepalive_s: 600, onBytes: (b) => (bytes += b) });
      await new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
      });
      const setup = bytes;
      for (const m of messages) await client.publishAsync(m.topic, m.payload, { qos: 1 });
      // the last PUBACK is in; a clean DISCONNECT is not part of a message's cost
      const total = bytes;
      client.end(true);
      return { total, setup };
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
