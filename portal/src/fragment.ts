// Links mailed by the cloud carry their secret after `#` (a password reset, a Trial's
// confirmation, a temporary login to a group): the fragment never reaches a server or a
// Referer. It is read once and taken out of the address, so that it stays in neither
// the history nor a bookmark.
export function takeFragmentToken(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  return token;
}
