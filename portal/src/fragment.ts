// Links mailed by the cloud carry their secret after `#` (a password reset, a Trial's
// confirmation, a temporary login to a group): the fragment never reaches a server or a
// Referer. It is read once, as the portal loads, and taken out of the address the tab
// shows and goes back to (the browser's own list of visited addresses may still hold the
// link; it works once, or for minutes).

function takeFragmentToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname + window.location.search);
  return token;
}

let arrivedWith = takeFragmentToken();

/**
 * The secret the address arrived with, to the page that uses it, once: a page shown
 * again (Back, say) does not send a spent secret again.
 */
export function spendToken(): string | null {
  const token = arrivedWith;
  arrivedWith = null;
  return token;
}
