// Why a connection failed, in words for the person at the terminal (Node's system error codes, libuv's names).
import { connect } from "node:net";

const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused: nothing listens there",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name not resolved (no DNS answer)",
  ETIMEDOUT: "no answer in time",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ECONNRESET: "connection reset by the other side",
  EACCES: "permission denied",
};

/** "connection refused: nothing listens there" for an ECONNREFUSED error, else the error's own message. */
export function connectFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  // Node's happy-eyeballs connect gives an AggregateError of one error per address
  const code = err?.code ?? err?.errors?.[0]?.code;
  return (code && reasons[code]) ?? (err?.message || String(e));
}

/** Resolves once a TCP connection to host:port opens (and closes it again); rejects with the socket's error. */
export function probeTcp(host: string, port: number, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(Object.assign(new Error(`no answer from ${host}:${port} in ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.end();
      s.destroy();
      resolve();
    });
    s.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
