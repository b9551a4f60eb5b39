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
      if (!live || answers.some((answer) => !answer.data)) return;
      setCount(answers.reduce((sum, answer) => sum + answer.data!.unread, 0));
      setCapped(answers.some((answer) => answer.data!.unread_capped));
    }
    const quietly = () => read().catch(() => undefined);
    quietly();
    const timer = window.setInterval(quietly, REFRESH_EVERY_MS);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [loggedIn, asked]);

  return { count, capped, refresh };
}
