// The group's apps as options of a select: each by its name, with its ID when they differ.
import type { Schemas } from "../api/client";

export function AppOptions({ apps }: { apps: readonly Schemas["AppView"][] }) {
  return (
    <>
      {apps.map((app) => (
        <option key={app.app} value={app.app}>
          {app.name === app.app ? app.app : `${app.name} (${app.app})`}
        </option>
      ))}
    </>
  );
}
