// Types of cli/catalog.mjs (plain JavaScript so that `minigrid --help` loads no TypeScript).
export interface CatalogEntry {
  name: string;
  summary: string;
}
export declare const catalog: readonly CatalogEntry[];
export declare function version(): string;
export declare function overview(): string;
export declare function suggestion(word: string, known: readonly string[]): string | undefined;
export declare function quickAnswer(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): number | undefined;
