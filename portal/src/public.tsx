// The ways in that need no session: a forgotten password and its reset link, a Trial's
// sign-up and confirmation link; and the temporary login an alarm's mail links to.
import type { JSX } from "preact";
import { session } from "./api/client";
import { spendToken } from "./fragment";
import type { Messages } from "./i18n/en";
import { ForgotPassword } from "./pages/ForgotPassword";
import { ResetPassword } from "./pages/ResetPassword";
import { Trial } from "./pages/Trial";

// A link to a group from an alarm's mail (`/groups/{id}#token=…`) carries a temporary,
// view-only session: taken unless the tab has a session of its own, which sees more.
if (window.location.pathname.startsWith("/groups/")) {
  const token = spendToken();
  if (token && session.token() === null) session.start(token);
}

// A mailed link opened in a tab already at its page changes only the fragment, which
// loads nothing: the page is loaded afresh, as if the link were opened anew.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(window.location.hash.slice(1)).has("token")) window.location.reload();
});

/** The page `path` names among those without a session, if it names one. */
export function publicPage(path: string, words: Messages, onLoggedIn: () => void): JSX.Element | null {
  switch (path) {
    case "/forgot-password":
      return <ForgotPassword words={words} />;
    case "/reset-password":
      return <ResetPassword words={words} />;
    case "/trial":
      return <Trial words={words} onLoggedIn={onLoggedIn} />;
    default:
      return null;
  }
}
