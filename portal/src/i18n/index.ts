// The portal's languages (the account's setting; before login, the browser's) and the
// words of the one in use. English is in the first bundle; each other catalog is fetched
// when first spoken, so a page loads one language's words, not seven.
import { en, type Messages } from "./en";

export const LANGUAGES = ["zh-CN", "ja", "en", "es", "fr", "de", "it"] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language named in itself, as a person looking for theirs reads it. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  "zh-CN": "简体中文",
  ja: "日本語",
  en: "English",
  es: "Español",
  fr: "Français",
  de: "Deutsch",
  it: "Italiano",
};

function isLanguage(tag: string): tag is Language {
  return (LANGUAGES as readonly string[]).includes(tag);
}

/** The browser's first language the portal speaks, by full tag then by its first part. */
export function browserLanguage(preferred: readonly string[] = navigator.languages): Language {
  for (const tag of preferred) {
    if (isLanguage(tag)) return tag;
    const base = tag.split("-")[0];
    if (base === "zh") return "zh-CN";
    if (isLanguage(base)) return base;
  }
  return "en";
}

const loaded = new Map<Language, Messages>([["en", en]]);

/** `language`'s words if they are here already (English always is). */
export function messagesAt(language: Language): Messages | undefined {
  return loaded.get(language);
}

/** `language`'s words, fetched the first time. */
export async function loadMessages(language: Language): Promise<Messages> {
  const here = loaded.get(language);
  if (here) return here;
  const catalog = await CATALOGS[language]();
  loaded.set(language, catalog);
  return catalog;
}

// One chunk per catalog: the bundler splits at each `import()`.
const CATALOGS: Record<Language, () => Promise<Messages>> = {
  "zh-CN": () => import("./zh-CN").then((module) => module.zhCN),
  ja: () => import("./ja").then((module) => module.ja),
  en: async () => en,
  es: () => import("./es").then((module) => module.es),
  fr: () => import("./fr").then((module) => module.fr),
  de: () => import("./de").then((module) => module.de),
  it: () => import("./it").then((module) => module.it),
};

/** A message with its `{name}` fields filled in; a field not given stays as written. */
export function fill(text: string, fields: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(fields, name) ? String(fields[name]) : whole,
  );
}
