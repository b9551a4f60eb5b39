// A file uploaded from the browser straight to the files bucket: one signed PUT, or, for
// a file longer than one part, a PUT per part and a completion naming their ETags. The
// cloud indexes the file when S3 reports it (a moment later; longer for a large file,
// whose every byte is read for its SHA-256).
import { api } from "../api/client";
import { send, TransferFailed } from "./transfer";

/** The API's part length (`PART_BYTES`): a longer file goes in parts. */
export const PART_BYTES = 8 * 1024 * 1024;
/**
 * Part URLs asked for at once. Each is good for 15 minutes from its signing: a batch
 * is small enough (32 MiB) to be sent well within that on a slow line, and a part whose
 * URL expired all the same is signed again.
 */
const PARTS_PER_BATCH = 4;
/** A PUT the network lost, or S3 failed, is tried this many times in all. */
const ATTEMPTS = 3;
const RETRY_PAUSE_MS = 1_000;

/**
 * A refusal or failure: in the API's words where it gave some, or the status the bucket
 * answered a PUT with (0: none reached the browser — the network, or CORS).
 */
export class UploadFailed extends Error {
  constructor(
    message?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * Uploads `file` into `folder` of `group`, telling `onProgress` the bytes sent so far;
 * resolves to the new file's ID. An upload that fails after the cloud handed it out is
 * dropped (a started upload in parts is aborted), so that nothing half-sent lingers.
 */
export async function upload(
  group: string,
  folder: string,
  file: File,
  onProgress: (sent: number) => void,
  signal: AbortSignal,
): Promise<string> {
  const { data, error } = await api.POST("/v1/groups/{group}/files", {
    params: { path: { group } },
    body: {
      name: file.name,
      folder,
      size: file.size,
      content_type: file.type || "application/octet-stream",
      multipart: file.size > PART_BYTES,
    },
    signal,
  });
  if (!data) throw new UploadFailed(error?.message);
  const id = data.id;
  try {
    const single = data.upload;
    if (single) {
      await attempts(() => send(single, file, onProgress, signal), true);
    } else if (data.multipart) {
      await inParts(group, id, file, data.multipart.part_bytes, data.multipart.parts, onProgress, signal);
    } else {
      throw new UploadFailed();
    }
    return id;
  } catch (failure) {
    // Not awaited for the page's sake, and kept alive should the page be closing.
    void api.DELETE("/v1/groups/{group}/files/{file}", { params: { path: { group, file: id } }, keepalive: true });
    throw failure;
  }
}

async function inParts(
  group: string,
  file: string,
  body: Blob,
  partBytes: number,
  parts: number,
  onProgress: (sent: number) => void,
  signal: AbortSignal,
) {
  const path = { group, file };
  const sign = async (numbers: number[]) => {
    const signed = await api.POST("/v1/groups/{group}/files/{file}/parts", {
      params: { path },
      body: { parts: numbers },
      signal,
    });
    if (!signed.data) throw new UploadFailed(signed.error?.message);
    return signed.data.parts;
  };
  const done: { number: number; etag: string }[] = [];
  for (let first = 1; first <= parts; first += PARTS_PER_BATCH) {
    const numbers = Array.from({ length: Math.min(PARTS_PER_BATCH, parts - first + 1) }, (_, i) => first + i);
    for (let part of await sign(numbers)) {
      const start = (part.number - 1) * partBytes;
      const slice = body.slice(start, start + partBytes);
      const put = () => attempts(() => send(part, slice, (sent) => onProgress(start + sent), signal), false);
      let etag: string | null;
      try {
        etag = await put();
      } catch (failure) {
        // A URL past its 15 minutes is refused (403): signed afresh, the part is sent once more.
        if (!(failure instanceof UploadFailed && failure.status === 403)) throw failure;
        [part] = await sign([part.number]);
        etag = await put();
      }
      // Unreadable when the bucket does not expose it to the portal's origin.
      if (!etag) throw new UploadFailed();
      done.push({ number: part.number, etag });
    }
  }
  const completed = await api.POST("/v1/groups/{group}/files/{file}/complete", {
    params: { path },
    body: { parts: done },
    signal,
  });
  if (!completed.data) throw new UploadFailed(completed.error?.message);
}

/**
 * `put` tried again when the network lost it or S3 failed for the moment (5xx; 409, a
 * conditional write racing the attempt before it). An upload's single PUT is signed to
 * write only where nothing is (`If-None-Match: *`): when a retry finds its object there
 * (412), the attempt before it arrived and only its answer was lost.
 */
export async function attempts(
  put: () => Promise<string | null>,
  writesOnce: boolean,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put();
    } catch (failure) {
      if (!(failure instanceof TransferFailed)) throw failure;
      if (writesOnce && attempt > 1 && failure.status === 412) return null;
      const passing = failure.status === 0 || failure.status === 409 || failure.status >= 500;
      if (!passing || attempt >= ATTEMPTS) throw new UploadFailed(undefined, failure.status);
      await pause(RETRY_PAUSE_MS * attempt);
    }
  }
}
