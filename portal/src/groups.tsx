// The groups the user may see, and the one a page shows: pages that work on one group
// at a time (viewer, instruments, calculated channels, alarms, inbox, drive) share how
// it is chosen.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "./api/client";
import type { Messages } from "./i18n/en";
import { Problem } from "./ui/Problem";

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

/**
 * A page that works on one group at a time, wrapped: the group picker above it, and the
 * page for the chosen group below, made afresh when another is chosen — nothing of one
 * group's lists, drafts or cursors carries over to the next.
 */
export function perGroup<P extends { words: Messages }>(
  Page: ComponentType<P & { group: string }>,
): ComponentType<P> {
  return function PerGroup(props: P) {
    const groups = useGroups();
    return (
      <>
        <GroupPicker words={props.words} groups={groups} />
        <Problem text={groups.failed ? props.words.unavailable : null} />
        {groups.group !== null && <Page key={groups.group} {...props} group={groups.group} />}
      </>
    );
  };
}
