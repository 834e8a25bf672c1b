// The session (ADR 0022): the access token in memory (api/client.ts), the refresh token in the gateway's
// HttpOnly cookie. On start the app asks for a new access token with the cookie; a reload keeps one logged in.
import {
  type Account,
  accessTokenStale,
  api,
  hasAccessToken,
  type Outcome,
  outcome,
  setAccessToken,
  type Shown,
  type Tokens,
  WEB_CLIENT,
} from "./api/client";
import { type Language, language, t } from "./i18n";
import { Store } from "./store";

export type Session =
  | { status: "unknown" }
  | { status: "anonymous" }
  | { status: "authenticated"; account: Account };

export const session = new Store<Session>({ status: "unknown" });

let refreshing: Promise<boolean> | null = null;

// Whether this browser logged in and has not logged out since: without it a visitor's first page load
// would ask for a refresh that can only fail (a 401 in every anonymous visit's log). It holds no secret;
// the HttpOnly cookie still decides.
const SIGNED_IN = "recert.signed-in";

function rememberSignedIn(yes: boolean): void {
  try {
    if (yes) localStorage.setItem(SIGNED_IN, "1");
    else localStorage.removeItem(SIGNED_IN);
  } catch {
    // storage refused (private mode): the refresh is then always tried
  }
}

function maybeSignedIn(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN) !== null;
  } catch {
    return true;
  }
}

/** A new access token with the refresh cookie. One at a time: the refresh token is single use, two
 * refreshes at once would spend it twice (and identity then ends the session as stolen). */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const answer = await outcome(() =>
      api.POST("/api/v1/auth/refresh", {
        params: { header: WEB_CLIENT },
        // With `X-Recert-Client: web` the gateway takes the refresh token from the cookie (ADR 0022).
        body: {},
      }),
    );
    if (answer.ok && answer.data.access_token) {
      setAccessToken(answer.data.access_token, answer.data.expires_in ?? 0);
      return true;
    }
    setAccessToken(null);
    return false;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The account (GET /api/v1/accounts/me) becomes the session; `first` runs just before, in the same
 * tick (the login moves to its next screen there, before the login screen sees a session and leaves).
 * The answer's problem when it did not load (null when it did). */
export async function loadAccount(first?: () => void): Promise<Shown | null> {
  const answer = await authorized(() => api.GET("/api/v1/accounts/me"));
  if (!answer.ok) return answer.problem;
  const account = answer.data;
  const preferred = account.preferred_language;
  if (preferred === "nl" || preferred === "en") language.set(preferred);
  first?.();
  session.set({ status: "authenticated", account });
  return null;
}

/** On start: logged in when the cookie still holds a live session (asked only if this browser logged in). */
export async function restore(): Promise<void> {
  if (maybeSignedIn() && (await refresh()) && (await loadAccount()) === null) return;
  rememberSignedIn(false);
  setAccessToken(null);
  session.set({ status: "anonymous" });
}

/** After step 2 of the login: the access token from the answer (the refresh token went into the cookie);
 * `next` moves on to the screen after the login. The problem when the account did not load (then
 * `loadAccount(next)` tries again with the same token), null when it did. */
export async function begin(tokens: Tokens, next: () => void): Promise<Shown | null> {
  if (!tokens.access_token) {
    return { status: 0, title: t("problem.unexpected.title"), detail: t("problem.unexpected.detail"), errors: {} };
  }
  setAccessToken(tokens.access_token, tokens.expires_in ?? 0);
  rememberSignedIn(true);
  return loadAccount(next);
}

export async function logout(): Promise<void> {
  await outcome(() =>
    api.POST("/api/v1/auth/logout", {
      params: { header: WEB_CLIENT },
      body: {}, // the cookie's token is used
    }),
  );
  rememberSignedIn(false);
  setAccessToken(null);
  session.set({ status: "anonymous" });
}

/** A call that needs the access token: refreshed first when stale, and once more after a 401 (the token
 * may have expired in between). When the session has ended, the app shows the login again. */
export async function authorized<T>(
  call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  if (accessTokenStale() && !(await refresh())) return ended(call);
  const first = await outcome(call);
  if (first.ok || first.problem.status !== 401) return first;
  if (!(await refresh())) return ended(call);
  const second = await outcome(call);
  if (!second.ok && second.problem.status === 401) sessionEnded();
  return second;
}

async function ended<T>(
  call: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  const answer = await outcome(call); // without a token: the API's own 401 problem, to show
  sessionEnded();
  return answer;
}

function sessionEnded(): void {
  rememberSignedIn(false);
  setAccessToken(null);
  if (session.get().status !== "anonymous") session.set({ status: "anonymous" });
}

/** The account's language follows the switch (PATCH /api/v1/accounts/me), so e-mails follow it too. */
export async function chooseLanguage(lang: Language): Promise<void> {
  language.set(lang);
  const current = session.get();
  if (current.status !== "authenticated" || !hasAccessToken()) return;
  const answer = await authorized(() =>
    api.PATCH("/api/v1/accounts/me", { body: { preferred_language: lang } }),
  );
  if (answer.ok) session.set({ status: "authenticated", account: answer.data });
}
