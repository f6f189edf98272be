import { describe, expect, it } from "vitest";
import { createServer, connect, Socket } from "node:net";
import { once } from "node:events";
import { yieldTurn } from "../../sim/vm/turns";

describe("turns of the event loop shared by the virtual boards", () => {
  it("resumes waiting boards in the order they yielded", async () => {
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3].map((i) => yieldTurn().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it("lets a socket's answer in between two boards instead of after all of them", async () => {
    // an echo server on loopback: what the first board writes comes back while the others still wait their turn
    const server = createServer((s) => s.on("data", (d) => s.write(d)));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client: Socket = connect((server.address() as { port: number }).port, "127.0.0.1");
    await once(client, "connect");
    const boards = 40;
    let resumed = 0;
    let resumedWhenAnswered = -1;
    client.on("data", () => (resumedWhenAnswered = resumed));
    await Promise.all(
      Array.from({ length: boards }, (_, i) =>
        yieldTurn().then(() => {
          resumed++;
          if (i === 0) client.write("ping");
        }),
      ),
    );
    for (let i = 0; i < 10 && resumedWhenAnswered < 0; i++) await new Promise((r) => setTimeout(r, 5));
    client.destroy();
    server.close();
    expect(resumedWhenAnswered).toBeGreaterThan(0);
    expect(resumedWhenAnswered).toBeLessThan(boards);
  });
});
