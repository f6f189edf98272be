// GET /api/events: Server-Sent Events for the dashboard: "batch.stored", "alarm", "node.state" and "command" as they
// happen on the gateway bus (data: the event's JSON), and a comment line every 15 s to keep proxies from closing it.
import type { ServerResponse } from "node:http";
import { EventBus, GatewayEventName, Subscriptions } from "../events";

const forwarded: GatewayEventName[] = ["batch.stored", "alarm", "node.state", "command"];

export class LiveEvents {
  private readonly clients = new Set<ServerResponse>();
  private readonly subs = new Subscriptions();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly bus: EventBus) {}

  start(): void {
    for (const name of forwarded) this.subs.on(this.bus, name, (payload) => this.send(name, payload));
    this.timer = setInterval(() => {
      for (const c of this.clients) c.write(": keep-alive\n\n");
    }, 15_000);
    this.timer.unref();
  }

  stop(): void {
    this.subs.clear();
    if (this.timer) clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  count(): number {
    return this.clients.size;
  }

  add(res: ServerResponse): void {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive" });
    res.write("retry: 3000\n\n");
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  private send(name: string, payload: unknown): void {
    if (this.clients.size === 0) return;
    const text = `event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const c of this.clients) c.write(text);
  }
}
