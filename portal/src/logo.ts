// The account's logo, as an image address (a data URL: the page's CSP allows `data:`
// images and nothing else from outside), or null when it has none.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/client";

/** The logo, read again whenever `reading` changes (null: not read, none, or unknown). */
export function useLogo(reading: unknown): string | null {
  const [logo, setLogo] = useState<string | null>(null);
  useEffect(() => {
    if (reading === null) return setLogo(null);
    let live = true;
    api
      .GET("/v1/account/logo")
      // No logo (404) is the usual answer; a lost one leaves the header plain as well.
      .then(({ data }) => live && setLogo(data ? `data:${data.content_type};base64,${data.data}` : null))
      .catch(() => live && setLogo(null));
    return () => {
      live = false;
    };
  }, [reading]);
  return logo;
}
