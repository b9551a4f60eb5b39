// Moving between the portal's pages without a reload: the address changes and the app
// hears of it as it does of the browser's back and forward buttons.
export function go(path: string) {
  window.history.pushState(null, "", path);
  window.dispatchEvent(new PopStateEvent("popstate"));
}
