// Module resolution hooks for import-log.mjs: record each resolved URL (run on the loader's own thread).
import { appendFileSync } from "node:fs";

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.MINIGRID_IMPORT_LOG) appendFileSync(process.env.MINIGRID_IMPORT_LOG, result.url + "\n");
  return result;
}
