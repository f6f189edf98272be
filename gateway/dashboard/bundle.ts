// The dashboard's files, built in memory with esbuild the first time they are asked for (about 100 ms), then kept:
// the TypeScript sources and uPlot in one script, uPlot's stylesheet and ours in one stylesheet, the page as is.
// Nothing is fetched from the internet, so the dashboard works on a site without one.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface DashboardFile {
  type: string;
  body: Buffer;
}

const here = dirname(fileURLToPath(import.meta.url));

async function buildFiles(): Promise<Map<string, DashboardFile>> {
  const t = await build({
    entryPoints: [join(here, "src", "main.ts")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2019",
    minify: true,
    sourcemap: false,
    logLevel: "silent",
  });
  const uplotCss = join(dirname(createRequire(import.meta.url).resolve("uplot")), "uPlot.min.css");
  const css = (await readFile(uplotCss, "utf8")) + "\n" + (await readFile(join(here, "style.css"), "utf8"));
  const html = await readFile(join(here, "index.html"));
  return new Map<string, DashboardFile>([
    ["/", { type: "text/html; charset=utf-8", body: html }],
    ["/app.js", { type: "text/javascript; charset=utf-8", body: Buffer.from(t.outputFiles[0].contents) }],
    ["/app.css", { type: "text/css; charset=utf-8", body: Buffer.from(css) }],
  ]);
}

let files: Promise<Map<string, DashboardFile>> | undefined;

/** The file served at `path` ("/", "/app.js", "/app.css"), or undefined. A failed build is retried on the next call. */
export async function dashboardFile(path: string): Promise<DashboardFile | undefined> {
  if (!files) {
    files = buildFiles();
    files.catch(() => (files = undefined));
  }
  return (await files).get(path === "/index.html" ? "/" : path);
}
