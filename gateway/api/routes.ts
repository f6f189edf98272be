// The gateway's route table: every route the API answers, each with its description (GET /api/openapi.json).
import { exportRoutes } from "./export-csv";
import type { Route } from "./router";
import { controlRoutes } from "./routes-control";
import { nodeRoutes } from "./routes-nodes";
import { serviceRoutes } from "./routes-service";
import { siteRoutes } from "./routes-site";

export const apiRoutes: Route[] = [...nodeRoutes, ...siteRoutes, ...controlRoutes, ...exportRoutes, ...serviceRoutes];
