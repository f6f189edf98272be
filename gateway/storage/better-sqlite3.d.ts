// Types for the part of better-sqlite3 12 the gateway uses (the package ships none; @types/better-sqlite3 is not
// installed). Covers Database, Statement and transactions as documented in better-sqlite3's docs/api.md. The one
// declaration of SQLite's types in the gateway (storage/db.ts names them Db and Statement); a row is typed where it
// is read (`as`), so get/all/iterate give `any`.
declare module "better-sqlite3" {
  namespace Database {
    interface RunResult {
      changes: number;
      lastInsertRowid: number | bigint;
    }
    interface Statement {
      run(...params: unknown[]): RunResult;
      get(...params: unknown[]): any;
      all(...params: unknown[]): any[];
      iterate(...params: unknown[]): IterableIterator<any>;
      pluck(on?: boolean): this;
      raw(on?: boolean): this;
      readonly reader: boolean;
    }
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      timeout?: number;
    }
    type Transaction<F extends (...args: any[]) => any> = F & {
      deferred: F;
      immediate: F;
      exclusive: F;
    };
    interface Database {
      readonly open: boolean;
      readonly inTransaction: boolean;
      readonly name: string;
      prepare(sql: string): Statement;
      exec(sql: string): this;
      pragma(sql: string, options?: { simple?: boolean }): unknown;
      transaction<F extends (...args: any[]) => any>(fn: F): Transaction<F>;
      close(): this;
      checkpoint?(): this;
    }
  }
  interface DatabaseConstructor {
    new (filename?: string, options?: Database.Options): Database.Database;
    (filename?: string, options?: Database.Options): Database.Database;
  }
  const Database: DatabaseConstructor;
  export = Database;
}
