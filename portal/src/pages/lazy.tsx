// The pages that draw graphs (the viewer, the alarms' backtest) bring the chart library,
// the bulk of the portal's code, the drive its uploads, the user's own login its QR
// codes: each is fetched when first opened, so the login and the monitor load without
// them.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";

/** A page loaded on first use: "Loading…" meanwhile, the service's absence if it fails. */
export function lazy<P extends { words: Messages }>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loading: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    // Held in an object: a component is a function, which a state setter would call.
    const [page, setPage] = useState<{ component: ComponentType<P> } | null>(null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      loading ??= load();
      loading
        .then((component) => setPage({ component }))
        .catch(() => {
          // A later visit tries again.
          loading = null;
          setFailed(true);
        });
    }, []);
    if (failed) return <Problem text={props.words.unavailable} />;
    if (!page) return <p role="status">{props.words.loading}</p>;
    return <page.component {...props} />;
  };
}

export const LazyViewer = lazy(() => import("./Viewer").then((module) => module.Viewer));
export const LazyAlarms = lazy(() => import("./Alarms").then((module) => module.Alarms));
export const LazyDrive = lazy(() => import("./Drive").then((module) => module.Drive));
export const LazyYourLogin = lazy(() => import("./YourLogin").then((module) => module.YourLogin));
