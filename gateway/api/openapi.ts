// GET /api/openapi.json: the API's OpenAPI 3.1 description, built from the route table itself (each route's
// RouteDoc, contracts/api-routes.ts), so it lists exactly the routes that answer. Schemas are JSON Schema 2020-12
// (OpenAPI 3.1.0, "Schema Object": a superset of JSON Schema 2020-12); errors share one schema, ErrorReply.
import { errorReply, type JsonSchema } from "../../contracts/api-schemas";
import type { Route } from "./router";

export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
  /** Whether the routes ask for the bearer token. */
  token: boolean;
}

const errorRef = { $ref: "#/components/schemas/ErrorReply" };

function errorResponse(description: string): JsonSchema {
  return { description, content: { "application/json": { schema: errorRef } } };
}

/** "/api/sites/:site/nodes" -> "/api/sites/{site}/nodes" (OpenAPI 3.1, "Path Templating"). */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}

export function operationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((p) => p && p !== "api")
    .map((p) => (p.startsWith(":") ? "by-" + p.slice(1) : p))
    .join("-");
  return (method.toLowerCase() + "-" + (words || "root")).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""));
}

export function openApiDocument<D>(routes: Route<D>[], info: OpenApiInfo): JsonSchema {
  const paths: { [path: string]: { [method: string]: JsonSchema } } = {};
  for (const r of routes) {
    const d = r.doc;
    const parameters: JsonSchema[] = [];
    for (const p of r.parts.filter((x) => x.startsWith(":"))) {
      const name = p.slice(1);
      parameters.push({ name, in: "path", required: true, description: (d.params as { [k: string]: string } | undefined)?.[name], schema: { type: "string" } });
    }
    for (const [name, q] of Object.entries(d.query ?? {})) parameters.push({ name, in: "query", required: q.required === true, description: q.description, schema: q.schema });
    const responses: { [status: string]: JsonSchema } = {};
    for (const [status, reply] of Object.entries(d.replies)) {
      const type = reply.contentType ?? "application/json";
      responses[status] = { description: reply.description, ...(reply.schema || reply.contentType ? { content: { [type]: reply.schema ? { schema: reply.schema } : {} } } : {}) };
    }
    for (const [status, why] of Object.entries(d.errors ?? {})) responses[status] = errorResponse(why as string);
    if (info.token && !d.open) responses["401"] = errorResponse("no bearer token, or a wrong one");
    responses["405"] = errorResponse("a method the path does not answer to");
    responses["500"] = errorResponse("an internal error (logged)");
    const op: JsonSchema = {
      operationId: operationId(r.method, r.path),
      summary: d.summary,
      ...(d.description ? { description: d.description } : {}),
      tags: [d.tag],
      ...(parameters.length ? { parameters } : {}),
      ...(d.body ? { requestBody: { required: true, content: { "application/json": { schema: d.body } } } } : {}),
      responses,
      ...(d.events ? { "x-events": d.events } : {}),
      ...(info.token && d.open ? { security: [] } : {}),
    };
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version, ...(info.description ? { description: info.description } : {}) },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    components: {
      schemas: { ErrorReply: errorReply },
      ...(info.token ? { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } } : {}),
    },
    ...(info.token ? { security: [{ bearer: [] }] } : {}),
  };
}
