// A settings problem found while the gateway starts (a port taken, a file it cannot read): it names the key and
// the fix like check-config does, and `minigrid gateway` prints it and exits non-zero instead of a stack trace.

export class SettingsError extends Error {
  constructor(
    readonly key: string,
    what: string,
    readonly fix: string,
  ) {
    super(`${key}: ${what}; ${fix}`);
  }
}

/** What listen() failed with, in words: a port taken, an address not on this PC, a port it may not use. */
export function listenError(e: unknown, key: "broker.port" | "http.port", hostKey: string, host: string, port: number): SettingsError | unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE") return new SettingsError(key, `${host}:${port} is in use by another program (another gateway?)`, `set ${key} to a free port or stop the other program`);
  if (code === "EACCES") return new SettingsError(key, `${host}:${port} may not be opened by this user`, `set ${key} to a port above 1023`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") return new SettingsError(hostKey, `${host} is not an address of this PC`, `set ${hostKey} to one of its addresses, 127.0.0.1 or 0.0.0.0`);
  return e;
}
