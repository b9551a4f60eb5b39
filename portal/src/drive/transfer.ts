// Requests the cloud signed for the browser to make itself, straight to the files bucket:
// a PUT whose progress is told as it goes (fetch cannot tell an upload's progress;
// XMLHttpRequest can), and a download the browser saves under the file's name.

/**
 * A request signed by the cloud: its headers (name, value) are part of the signature.
 * Read loosely, as openapi-fetch widens the document's pairs to arrays.
 */
export type Signed = { method: string; url: string; headers: readonly (readonly string[])[] };

/** Headers the browser sets itself (from the body, the URL) and refuses to be given. */
const SET_BY_BROWSER = new Set(["content-length", "host"]);

/** A transfer S3 refused (its status) or the network lost (status 0). */
export class TransferFailed extends Error {
  constructor(readonly status: number) {
    super(`transfer failed (${status || "no answer"})`);
  }
}

/**
 * Sends `body` as `request` says, telling `onProgress` the bytes sent so far; resolves
 * to the answer's ETag (which completing an upload in parts names).
 */
export function send(
  request: Signed,
  body: Blob,
  onProgress: (sent: number) => void,
  signal: AbortSignal,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new DOMException("aborted", "AbortError"));
    const xhr = new XMLHttpRequest();
    xhr.open(request.method, request.url);
    for (const [name = "", value = ""] of request.headers) {
      if (!SET_BY_BROWSER.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    xhr.onloadend = () => signal.removeEventListener("abort", abort);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve(xhr.getResponseHeader("ETag")) : reject(new TransferFailed(xhr.status));
    xhr.onerror = () => reject(new TransferFailed(0));
    xhr.onabort = () => reject(new DOMException("aborted", "AbortError"));
    xhr.send(body);
  });
}

/**
 * Has the browser save what `request` fetches. The bucket answers it as an attachment
 * named for the file, so the page stays where it is; the URL must be freshly signed (a
 * refusal would be shown in the page's place).
 */
export function save(request: Signed): void {
  const link = document.createElement("a");
  link.href = request.url;
  document.body.append(link);
  link.click();
  link.remove();
}
