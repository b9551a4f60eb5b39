// The portal's pages after login, in the order the header links them: each its address,
// its title, what it shows, and whether only admins get it. An address with no page (or
// an admin's page for another role) shows the first, the monitor.
import type { JSX } from "preact";
import type { Schemas } from "./api/client";
import type { Language } from "./i18n";
import type { Messages } from "./i18n/en";
import { Audit } from "./pages/Audit";
import { Calculated } from "./pages/Calculated";
import { Groups } from "./pages/Groups";
import { Inbox } from "./pages/Inbox";
import { Instruments } from "./pages/Instruments";
import { LazyAlarms, LazyDrive, LazyViewer, LazyYourLogin } from "./pages/lazy";
import { Monitor } from "./pages/Monitor";
import { Settings } from "./pages/Settings";
import { Teams } from "./pages/Teams";
import { Users } from "./pages/Users";
import type { Unread } from "./unread";

export type PageProps = {
  words: Messages;
  language: Language;
  timeZone: string;
  unread: Unread;
  /** Tells the app the account's settings changed (its language and zone, say). */
  onAccountChanged: () => void;
  /** The user's role; null until known. */
  role: Schemas["Role"] | null;
};

export type Page = {
  path: string;
  title: (words: Messages) => string;
  show: (props: PageProps) => JSX.Element;
  adminsOnly?: true;
  /** Linked at the header's end, beside the logout, rather than among the pages. */
  beside?: "logout";
};

export const PAGES: readonly Page[] = [
  { path: "/", title: (words) => words.monitorTitle, show: (props) => <Monitor {...props} /> },
  { path: "/viewer", title: (words) => words.viewerTitle, show: (props) => <LazyViewer {...props} /> },
  { path: "/instruments", title: (words) => words.instrumentsTitle, show: (props) => <Instruments {...props} /> },
  { path: "/calculated", title: (words) => words.calculatedChannels, show: (props) => <Calculated {...props} /> },
  { path: "/alarms", title: (words) => words.alarmsTitle, show: (props) => <LazyAlarms {...props} /> },
  {
    path: "/inbox",
    title: (words) => words.inboxTitle,
    show: (props) => <Inbox {...props} onRead={props.unread.refresh} />,
  },
  { path: "/drive", title: (words) => words.driveTitle, show: (props) => <LazyDrive {...props} /> },
  { path: "/users", title: (words) => words.usersTitle, show: (props) => <Users {...props} />, adminsOnly: true },
  { path: "/teams", title: (words) => words.teamsTitle, show: (props) => <Teams {...props} />, adminsOnly: true },
  { path: "/groups", title: (words) => words.groupsTitle, show: (props) => <Groups {...props} />, adminsOnly: true },
  { path: "/audit", title: (words) => words.auditTitle, show: (props) => <Audit {...props} />, adminsOnly: true },
  {
    path: "/settings",
    title: (words) => words.settingsTitle,
    show: (props) => <Settings {...props} />,
    adminsOnly: true,
  },
  {
    path: "/me",
    title: (words) => words.yourLoginTitle,
    show: (props) => <LazyYourLogin {...props} />,
    beside: "logout",
  },
];

/** The pages `role` gets (before it is known, those everyone gets). */
export function pagesFor(role: Schemas["Role"] | null): readonly Page[] {
  return PAGES.filter((page) => !page.adminsOnly || role === "admin");
}

export function pageAt(path: string, role: Schemas["Role"] | null): Page {
  return pagesFor(role).find((page) => page.path === path) ?? PAGES[0];
}
