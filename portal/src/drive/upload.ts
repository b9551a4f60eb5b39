// A file uploaded from the browser straight to the files bucket: one signed PUT, or, for
// a file longer than one part, a PUT per part and a completion naming their ETags. The
// cloud indexes the file when S3 reports it (a moment later).
import { api } from "../api/client";
import { send, TransferFailed } from "./transfer";

/** The API's part length (`PART_BYTES`): a longer file goes in parts. */
export const PART_BYTES = 8 * 1024 * 1024;
/** The most part URLs the API signs at once (`MAX_PARTS_PER_REQUEST`). */
const PARTS_PER_REQUEST = 100;
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
 * resolves to the new file's ID.
 */
export async function upload(
  group: string,
  folder: string,
  file: File,
  onProgress: (sent: number) => void,
  signal: AbortSignal,
): Promise<string> {
  const path = { group };
  const { data, error } = await api.POST("/v1/groups/{group}/files", {
    params: { path },
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
  const single = data.upload;
  if (single) {
    await attempts(() => send(single, file, onProgress, signal), true);
    return data.id;
  }
  const plan = data.multipart;
  if (!plan) throw new UploadFailed();
  const done: { number: number; etag: string }[] = [];
  // URLs are asked for a batch at a time, just before their parts are sent.
  for (let first = 1; first <= plan.parts; first += PARTS_PER_REQUEST) {
    const numbers = Array.from({ length: Math.min(PARTS_PER_REQUEST, plan.parts - first + 1) }, (_, i) => first + i);
    const signed = await api.POST("/v1/groups/{group}/files/{file}/parts", {
      params: { path: { group, file: data.id } },
      body: { parts: numbers },
      signal,
    });
    if (!signed.data) throw new UploadFailed(signed.error?.message);
    for (const part of signed.data.parts) {
      const start = (part.number - 1) * plan.part_bytes;
      const body = file.slice(start, start + plan.part_bytes);
      const etag = await attempts(
        () => send(part, body, (sent) => onProgress(start + sent), signal),
        false,
      );
      // Unreadable when the bucket does not expose it to the portal's origin.
      if (!etag) throw new UploadFailed();
      done.push({ number: part.number, etag });
    }
  }
  const completed = await api.POST("/v1/groups/{group}/files/{file}/complete", {
    params: { path: { group, file: data.id } },
    body: { parts: done },
    signal,
  });
  if (!completed.data) throw new UploadFailed(completed.error?.message);
  return data.id;
}

/**
 * `put` tried again when the network lost it or S3 failed. An upload's single PUT is
 * signed to write only where nothing is (`If-None-Match: *`): when a retry finds its
 * object there (412), the attempt before it arrived and only its answer was lost.
 */
async function attempts(put: () => Promise<string | null>, writesOnce: boolean): Promise<string | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await put();
    } catch (failure) {
      if (!(failure instanceof TransferFailed)) throw failure;
      if (writesOnce && attempt > 1 && failure.status === 412) return null;
      const passing = failure.status === 0 || failure.status >= 500;
      if (!passing || attempt >= ATTEMPTS) throw new UploadFailed(undefined, failure.status);
      await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
    }
  }
}
