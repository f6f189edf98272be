// An aedes broker on a real TCP port that records every node batch before its PUBACK (in authorizePublish, as the
// gateway commits: docs/design.md guarantee 1), and can be stopped and started again on the same port.
import { Aedes } from "aedes";
import { createServer, Server, Socket } from "node:net";
import { parseTopic } from "../../firmware/protocol/topics";

export interface RecordingBroker {
  port: number;
  up: boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRecordingBroker(
  port: number,
  onBatch: (node: string, batch: any) => void,
  onOther?: (topic: string, payload: string) => void,
): Promise<RecordingBroker> {
  let aedes: Aedes | undefined;
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const b: RecordingBroker = {
    port,
    up: false,
    async start() {
      aedes = await Aedes.createBroker({
        concurrency: 1000,
        authorizePublish: (client, packet, cb) => {
          const t = parseTopic(packet.topic);
          if (client && t && t.kind !== "batch") onOther?.(packet.topic, packet.payload.toString());
          if (client && t && t.kind === "batch") {
            try {
              onBatch(`${t.site}/${t.node}`, JSON.parse(packet.payload.toString()));
            } catch {
              /* a malformed batch is not recorded */
            }
          }
          cb(null);
        },
      });
      const srv = createServer((s) => {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        aedes!.handle(s);
      });
      await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
      server = srv;
      b.up = true;
    },
    async stop() {
      if (!b.up) return;
      b.up = false;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server!.close(() => r()));
      await new Promise<void>((r) => aedes!.close(() => r()));
    },
    async close() {
      await b.stop();
    },
  };
  await b.start();
  return b;
}
