// Read-only access to the gateway's SQLite file (better-sqlite3, as the gateway itself uses).
import Database from "better-sqlite3";

export interface DatabaseLike {
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
  close(): void;
}

export function openReadonly(path: string): DatabaseLike {
  return new Database(path, { readonly: true, fileMustExist: true }) as unknown as DatabaseLike;
}
