// An MQTT client (the mqtt npm package) that connects from a chosen loopback address, e.g. 127.0.0.2, so that
// tests can tell an attacker's remote address from a real node's (Linux answers on all of 127.0.0.0/8).
import { createConnection } from "node:net";
import { MqttClient, type IClientOptions } from "mqtt";

export interface ConnackResult {
  /** CONNACK return code [MQTT-3.2.2.3]: 0 accepted, 3 server unavailable, 4 bad user name or password, 5 not authorized. */
  code: number;
  client: MqttClient;
}

/** Connect once from `localAddress`; resolves with the CONNACK's return code (the client is ended unless accepted). */
export function connectFrom(url: string, localAddress: string, opts: IClientOptions): Promise<ConnackResult> {
  const u = new URL(url);
  const client = new MqttClient(() => createConnection({ host: u.hostname, port: Number(u.port), localAddress }), {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...opts,
  });
  return new Promise((resolve) => {
    client.once("connect", () => resolve({ code: 0, client }));
    client.once("error", (e) => {
      client.end(true);
      resolve({ code: (e as { code?: number }).code ?? -1, client });
    });
    client.once("close", () => resolve({ code: -1, client }));
  });
}
