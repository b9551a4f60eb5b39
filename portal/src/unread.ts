// How many notifications the user has not read, over every group they may see: the
// inbox link shows it, read again every minute and whenever the inbox marks some read.
import { useCallback, useEffect, useState } from "preact/hooks";
import { api } from "./api/client";

const REFRESH_EVERY_MS = 60_000;

export type Unread = {
  /** Null until read (or when the API did not answer). */
  count: number | null;
  /** More are unread than `count` says (the API counts a group's up to a cap). */
  capped: boolean;
  refresh: () => void;
};

export function useUnread(loggedIn: boolean): Unread {
  const [count, setCount] = useState<number | null>(null);
  const [capped, setCapped] = useState(false);
  const [asked, setAsked] = useState(0);
  const refresh = useCallback(() => setAsked((n) => n + 1), []);

  useEffect(() => {
    if (!loggedIn) return setCount(null);
    let live = true;
    async function read() {
      const { data } = await api.GET("/v1/groups");
      if (!data) return;
      const answers = await Promise.all(
        data.groups.map((group) =>
          api.GET("/v1/groups/{group}/inbox/unread", { params: { path: { group: group.id } } }),
        ),
      );
      if (!live) return;
      // A group that did not answer counts as before it: nothing, until it does.
      const counted = answers.flatMap((answer) => (answer.data ? [answer.data] : []));
      setCount(counted.reduce((sum, group) => sum + group.unread, 0));
      setCapped(counted.some((group) => group.unread_capped));
    }
    // A tab in the background asks nothing; it asks again when it is looked at.
    const quietly = () => (document.hidden ? undefined : read().catch(() => undefined));
    document.addEventListener("visibilitychange", quietly);
    quietly();
    const timer = window.setInterval(quietly, REFRESH_EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
      document.removeEventListener("visibilitychange", quietly);
    };
  }, [loggedIn, asked]);

  return { count, capped, refresh };
}
