// The portal: which page the address names, in the account's language and time zone.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, session, type Schemas } from "./api/client";
import { browserLanguage, loadMessages, messagesAt, type Language } from "./i18n";
import type { Messages } from "./i18n/en";
import { Login } from "./pages/Login";
import { go } from "./navigation";
import { publicPage } from "./public";
import { pageAt } from "./routes";
import { Shell } from "./Shell";
import { useUnread } from "./unread";
import { useLogo } from "./logo";

type Role = Schemas["Role"];

function App() {
  const [path, setPath] = useState(window.location.pathname);
  const [language, setLanguage] = useState<Language>(browserLanguage());
  const [timeZone, setTimeZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone);
  // Kept in state as well as in the tab's storage: logging in or out re-renders.
  const [loggedIn, setLoggedIn] = useState(session.token() !== null);
  const unread = useUnread(loggedIn);
  // What the user may do: the admins' pages are linked for admins only (the API refuses
  // the rest whatever the portal shows).
  const [role, setRole] = useState<Role | null>(null);
  // Bumped when the account's settings change: its language and zone are read again.
  const [accountChanged, setAccountChanged] = useState(0);
  const logo = useLogo(loggedIn ? accountChanged : null);

  useEffect(() => {
    const moved = () => setPath(window.location.pathname);
    window.addEventListener("popstate", moved);
    return () => window.removeEventListener("popstate", moved);
  }, []);

  useEffect(() => {
    if (!loggedIn) return;
    let live = true;
    api
      .GET("/v1/account")
      .then(({ data }) => {
        if (!live || !data) return;
        setLanguage(data.language);
        setTimeZone(data.time_zone);
      })
      // The browser's language and zone stay; the monitor tells if the API is away.
      .catch(() => undefined);
    api
      .GET("/v1/me")
      .then(({ data }) => live && data && setRole(data.role))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [loggedIn, accountChanged]);

  // The language's words once fetched; meanwhile the last language's stay on screen
  // (before the first, nothing: a page is not shown in a language not chosen).
  const [words, setWords] = useState<Messages | null>(() => messagesAt(language) ?? null);
  useEffect(() => {
    let live = true;
    loadMessages(language)
      .then((loaded) => {
        if (!live) return;
        setWords(loaded);
        document.documentElement.lang = language;
      })
      // A catalog that cannot be fetched (the service away): English, which is always here.
      .catch(() => live && setWords((shown) => shown ?? messagesAt("en") ?? null));
    return () => {
      live = false;
    };
  }, [language]);

  const loggedInNow = () => {
    setLoggedIn(true);
    // A session that took another's place (a Trial confirmed in a tab that had one) has
    // its own account's language, zone and role.
    setRole(null);
    setAccountChanged((n) => n + 1);
    go("/");
  };
  if (!words) return null;
  // A reset or confirmation link is followed whether or not the tab has a session.
  const open = publicPage(path, words, loggedInNow);
  if (open) return open;
  if (!loggedIn || path === "/login") return <Login words={words} onLoggedIn={loggedInNow} />;
  const logOut = async () => {
    await api.POST("/v1/logout").catch(() => undefined);
    session.end();
    setLoggedIn(false);
    setRole(null);
    setLanguage(browserLanguage());
    go("/login");
  };
  const page = pageAt(path, role);
  return (
    <Shell
      words={words}
      path={page.path}
      title={page.title(words)}
      role={role}
      logo={logo}
      unread={unread}
      onLogOut={logOut}
    >
      {page.show({
        words,
        language,
        timeZone,
        unread,
        role,
        onAccountChanged: () => setAccountChanged((n) => n + 1),
      })}
    </Shell>
  );
}

render(<App />, document.getElementById("app")!);
