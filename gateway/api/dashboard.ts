// GET / (and /app.js, /app.css): the operator's dashboard (gateway/dashboard/). The page holds no data, so it is
// served without the token; it asks for the token and sends it with every API call.
import type { IncomingMessage, ServerResponse } from "node:http";
import { dashboardFile } from "../dashboard/bundle";

/** Serve a dashboard file when the request is for one; false otherwise (the API handles it). */
export async function serveDashboard(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (path !== "/" && path !== "/index.html" && path !== "/app.js" && path !== "/app.css") return false;
  const f = await dashboardFile(path);
  if (!f) return false;
  res.writeHead(200, { "content-type": f.type, "content-length": f.body.length, "cache-control": "no-cache", "x-content-type-options": "nosniff" });
  res.end(req.method === "HEAD" ? undefined : f.body);
  return true;
}
