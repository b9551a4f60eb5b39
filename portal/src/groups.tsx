// The groups the user may see, and the one a page shows: pages that work on one group
// at a time (the viewer, the inbox) share how it is chosen.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "./api/client";
import type { Messages } from "./i18n/en";

export type Groups = {
  /** Null until read. */
  groups: Schemas["GroupView"][] | null;
  /** The group shown: the first until another is chosen; null while there is none. */
  group: string | null;
  choose: (group: string) => void;
  failed: boolean;
};

export function useGroups(): Groups {
  const [groups, setGroups] = useState<Schemas["GroupView"][] | null>(null);
  const [group, setGroup] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    api
      .GET("/v1/groups")
      .then(({ data }) => {
        if (!live) return;
        if (!data) return setFailed(true);
        setGroups(data.groups);
        setGroup((current) => current ?? data.groups[0]?.id ?? null);
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, []);
  return { groups, group, choose: setGroup, failed };
}

/** A choice of group, shown only when there is one to make. */
export function GroupPicker({ words, groups }: { words: Messages; groups: Groups }) {
  if (groups.groups?.length === 0) return <p>{words.noGroups}</p>;
  if (!groups.groups || groups.groups.length < 2) return null;
  return (
    <label class="group-picker">
      {words.group}
      <select value={groups.group ?? ""} onChange={(event) => groups.choose(event.currentTarget.value)}>
        {groups.groups.map((option) => (
          <option key={option.id} value={option.id}>
            {option.name}
          </option>
        ))}
      </select>
    </label>
  );
}
