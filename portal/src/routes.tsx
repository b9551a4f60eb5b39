// The portal's pages after login, in the order the header links them: each its address,
// its title and what it shows. An address with no page shows the first, the monitor.
import type { JSX } from "preact";
import type { Language } from "./i18n";
import type { Messages } from "./i18n/en";
import { Calculated } from "./pages/Calculated";
import { Inbox } from "./pages/Inbox";
import { Instruments } from "./pages/Instruments";
import { LazyAlarms, LazyViewer } from "./pages/lazy";
import { Monitor } from "./pages/Monitor";
import type { Unread } from "./unread";

export type PageProps = { words: Messages; language: Language; timeZone: string; unread: Unread };

type Page = { path: string; title: (words: Messages) => string; show: (props: PageProps) => JSX.Element };

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
];

export function pageAt(path: string): Page {
  return PAGES.find((page) => page.path === path) ?? PAGES[0];
}
