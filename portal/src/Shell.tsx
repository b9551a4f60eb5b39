// What every page after login shares: the header with the page's title (which takes
// the focus when the page opens, for keyboards and screen readers alike), the pages'
// links (the inbox's with its unread count), the account's logo if it has one, and the
// user's own login beside the logout button.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { fill } from "./i18n";
import type { Messages } from "./i18n/en";
import { go } from "./navigation";
import { pagesFor, type Page } from "./routes";
import type { Schemas } from "./api/client";
import type { Unread } from "./unread";


type Props = {
  words: Messages;
  path: string;
  title: string;
  role: Schemas["Role"] | null;
  /** The account's logo, an image address; null: the product's name alone. */
  logo: string | null;
  unread: Unread;
  onLogOut: () => void;
  children: ComponentChildren;
};

export function Shell({ words, path, title, role, logo, unread, onLogOut, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [path]);
  return (
    <>
      <header>
        {/* Beside the product's name, which says what it is: the logo needs no words. */}
        {logo && <img class="logo" src={logo} alt="" />}
        <span class="brand">{words.appName}</span>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <nav aria-label={words.pages}>
          {pagesFor(role)
            .filter((page) => !page.beside)
            .map((page) => (
              <PageLink key={page.path} page={page} current={path} words={words} unread={unread} />
            ))}
        </nav>
        <nav aria-label={words.yourLoginTitle} class="own">
          {pagesFor(role)
            .filter((page) => page.beside === "logout")
            .map((page) => (
              <PageLink key={page.path} page={page} current={path} words={words} unread={unread} />
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

/** A page's link in the header (the inbox's with its unread count). */
function PageLink({ page, current, words, unread }: { page: Page; current: string; words: Messages; unread: Unread }) {
  return (
    <a
      href={page.path}
      class="page"
      aria-current={page.path === current ? "page" : undefined}
      onClick={(event) => {
        // Within the app: no reload, the session and state stay.
        if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        go(page.path);
      }}
    >
      {page.title(words)}
      {page.path === "/inbox" && unread.count !== null && unread.count > 0 && (
        <span class="badge">
          <span aria-hidden="true">
            {unread.count}
            {unread.capped ? "+" : ""}
          </span>
          <span class="visually-hidden">
            {" "}
            {fill(unread.capped ? words.unreadBadgeCapped : words.unreadBadge, { n: unread.count })}
          </span>
        </span>
      )}
    </a>
  );
}
