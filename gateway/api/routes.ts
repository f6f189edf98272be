// The gateway's route table: every route the API answers, each with its description (GET /api/openapi.json).
import { exportRoutes } from "./export-csv";
import type { Route } from "./router";
import { controlRoutes } from "./routes-control";
import { nodeRoutes } from "./routes-nodes";
import { serviceRoutes } from "./routes-service";
import { siteRoutes } from "./routes-site";
import { sitePageRoutes } from "./routes-site-page";
import { fleetRoutes } from "./fleet";
import { updateRoutes } from "./routes-updates";

export const apiRoutes: Route[] = [...nodeRoutes, ...fleetRoutes, ...siteRoutes, ...sitePageRoutes, ...controlRoutes, ...updateRoutes, ...exportRoutes, ...serviceRoutes];
