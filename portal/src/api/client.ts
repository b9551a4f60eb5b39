// The API, typed from its OpenAPI document (`schema.gen.ts`, made by `npm run gen`): a
// route or field the API does not have does not compile.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.gen";

export type Schemas = components["schemas"];

const TOKEN_KEY = "fieldcloud.session";

/** The session token, kept for the tab only: closing it logs out of this tab. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  start: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  end: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * The routes of the ways in (login, reset, Trial): sent with no session's token, so that
 * their refusal (a used link, say) is told on their page and ends no session.
 */
const PUBLIC = ["/v1/login", "/v1/trial", "/v1/password-reset"];
const isPublic = (url: string) => PUBLIC.some((path) => new URL(url).pathname.startsWith(path));

const withToken: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token && !isPublic(request.url)) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    // A session that ended (logout elsewhere, 24 hours idle, a new role) sends the
    // user back to log in; a failed login carries no token, and its page stays.
    if (response.status === 401 && request.headers.has("Authorization")) {
      session.end();
      window.location.assign("/login");
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "" });
api.use(withToken);
