// What every page after login shares: the header with the page's title (which takes
// the focus when the page opens, for keyboards and screen readers alike), the pages'
// links and the logout button.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Messages } from "./i18n/en";
import { go } from "./navigation";

export const PAGES = [
  { path: "/", title: (words: Messages) => words.monitorTitle },
  { path: "/viewer", title: (words: Messages) => words.viewerTitle },
] as const;

type Props = {
  words: Messages;
  path: string;
  title: string;
  onLogOut: () => void;
  children: ComponentChildren;
};

export function Shell({ words, path, title, onLogOut, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [path]);
  return (
    <>
      <header>
        <span class="brand">{words.appName}</span>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <nav aria-label={words.pages}>
          {PAGES.map((page) => (
            <a
              key={page.path}
              href={page.path}
              aria-current={page.path === path ? "page" : undefined}
              onClick={(event) => {
                // Within the app: no reload, the session and state stay.
                if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
                event.preventDefault();
                go(page.path);
              }}
            >
              {page.title(words)}
            </a>
          ))}
        </nav>
        <button type="button" onClick={onLogOut}>
          {words.logOut}
        </button>
      </header>
      <main>{children}</main>
    </>
  );
}
