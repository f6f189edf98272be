// A TCP proxy standing for a site's metered link: cut() drops every open connection and refuses new ones until
// restore(), while the central broker behind it keeps running (as a broker cluster does when one site goes dark).
import { createServer, connect, type Server, type Socket } from "node:net";

export interface LinkProxy {
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startLinkProxy(targetPort: number): Promise<LinkProxy> {
  let up = true;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop);
    upstream.on("error", drop);
    client.on("close", drop);
    upstream.on("close", drop);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    cut: () => {
      up = false;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore: () => {
      up = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
