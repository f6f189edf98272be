// Worker thread entry: TypeScript through tsx, as bin/minigrid.mjs does for the main thread.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
