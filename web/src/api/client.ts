// The one way the portal talks to the API: openapi-fetch over the types generated from the gateway's merged
// OpenAPI document (src/api/schema.d.ts, made by `npm run typecheck`; ADR 0024). Every path, body and answer
// below is checked against that document, so an API change that breaks the portal fails the type check.
import createClient from "openapi-fetch";
import { language, t } from "../i18n";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Account = Schemas["Account"];
export type Tokens = Schemas["Tokens"];

/** Sent with the three auth calls that hand out or spend a refresh token: the gateway then keeps the
 * refresh token in an HttpOnly cookie instead of the JSON (ADR 0022). */
export const WEB_CLIENT = { "X-Recert-Client": "web" } as const;

/** A refusal as the portal shows it: the problem's title and detail, and its messages per field. */
export interface Shown {
  status: number;
  title: string;
  detail?: string;
  errors: Record<string, string[]>;
  requestId?: string;
  /** The problem's type URI (https://recert.noloc.nl/problems/<slug>), when the API sent one. */
  type?: string;
}

export type Outcome<T> = { ok: true; data: T; response: Response } | { ok: false; problem: Shown };

// The access token lives here, in memory only: a reload loses it and the refresh cookie brings a new one.
let accessToken: string | null = null;
let expiresAt = 0;

export function setAccessToken(token: string | null, expiresIn = 0): void {
  accessToken = token;
  expiresAt = token ? Date.now() + expiresIn * 1000 : 0;
}

/** For the few calls openapi-fetch cannot make (an upload with progress, XMLHttpRequest): never stored. */
export function currentAccessToken(): string | null {
  return accessToken;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** Whether the token is gone or (nearly) expired: then the next call refreshes first. */
export function accessTokenStale(): boolean {
  return accessToken === null || Date.now() > expiresAt - 30_000;
}

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

api.use({
  onRequest({ request }) {
    request.headers.set("Accept-Language", language.get());
    if (accessToken && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${accessToken}`);
    }
    return request;
  },
});

function isProblem(value: unknown): value is Schemas["Problem"] {
  return typeof value === "object" && value !== null && typeof (value as { title?: unknown }).title === "string";
}

/** Whether the problem is of the API's type `slug` (the last part of its type URI). */
export function isProblemType(problem: Shown, slug: string): boolean {
  return (problem.type ?? "").endsWith(`/problems/${slug}`);
}

export function networkProblem(): Shown {
  return { status: 0, title: t("problem.network.title"), detail: t("problem.network.detail"), errors: {} };
}

/** The problem+json answer as shown; anything else (a proxy's HTML page) as a general message. */
export function toShown(error: unknown, response: Response): Shown {
  if (isProblem(error)) {
    const shown: Shown = { status: response.status, title: error.title, errors: error.errors ?? {} };
    if (error.detail) shown.detail = error.detail;
    if (error.request_id) shown.requestId = error.request_id;
    if (error.type) shown.type = error.type;
    return shown;
  }
  const shown: Shown = {
    status: response.status,
    title: t("problem.unexpected.title"),
    detail: t("problem.unexpected.detail"),
    errors: {},
  };
  const requestId = response.headers.get("X-Request-ID");
  if (requestId) shown.requestId = requestId;
  return shown;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** Runs one API call and gives its outcome; a failed connection is a problem like any other. */
export async function outcome<T>(call: () => Promise<Answer<T>>): Promise<Outcome<T>> {
  let answer: Answer<T>;
  try {
    answer = await call();
  } catch {
    return { ok: false, problem: networkProblem() };
  }
  if (answer.response.ok) return { ok: true, data: answer.data as T, response: answer.response };
  return { ok: false, problem: toShown(answer.error, answer.response) };
}
