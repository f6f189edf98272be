/// <reference lib="dom" />
// Calls to the gateway's API from the page. The token (when the API asks for one) is kept in sessionStorage: it
// goes in the Authorization header, and as ?access_token= where a browser cannot set headers (EventSource, links).

const KEY = "minigrid.token";

export class NeedToken extends Error {}

/** A reply other than 2xx (and 401): its status and the API's error code, for a clear message to the operator. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

function headers(extra: { [h: string]: string } = {}): { [h: string]: string } {
  const t = token();
  return t ? { ...extra, authorization: "Bearer " + t } : extra;
}

async function reply<T>(r: Response): Promise<T> {
  if (r.status === 401) throw new NeedToken("the API needs a token");
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiFailure(r.status, body?.error?.code ?? "http", body?.error?.message ?? `HTTP ${r.status}`);
  return body as T;
}

export async function getJson<T>(path: string): Promise<T> {
  return reply<T>(await fetch(path, { headers: headers(), cache: "no-store" }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return reply<T>(await fetch(path, { method: "POST", headers: headers({ "content-type": "application/json" }), body: JSON.stringify(body) }));
}

/** A URL for EventSource or a download link, with the token as a query parameter when there is one. */
export function withToken(path: string): string {
  const t = token();
  return t ? path + (path.indexOf("?") >= 0 ? "&" : "?") + "access_token=" + encodeURIComponent(t) : path;
}

export const enc = encodeURIComponent;
