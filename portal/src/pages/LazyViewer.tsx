// The viewer brings the chart library, the bulk of the portal's code: it is fetched
// when the viewer is first opened, so the login and the monitor load without it.
import { useEffect, useState } from "preact/hooks";
import type { ComponentProps } from "preact";
import type { Viewer } from "./Viewer";

type Module = typeof import("./Viewer");
let loading: Promise<Module> | null = null;

export function LazyViewer(props: ComponentProps<typeof Viewer>) {
  const [module, setModule] = useState<Module | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loading ??= import("./Viewer");
    loading.then(setModule).catch(() => {
      // A later visit tries again.
      loading = null;
      setFailed(true);
    });
  }, []);
  if (failed)
    return (
      <p role="alert" class="problem">
        {props.words.unavailable}
      </p>
    );
  if (!module) return <p role="status">{props.words.loading}</p>;
  return <module.Viewer {...props} />;
}
