// The drive: a group's files in folders. Files upload straight to the bucket, two at a
// time, with their progress shown (in parts when large), and appear once the cloud has
// indexed them; each downloads under its name, moves or is renamed, is deleted; folders
// are made, opened, renamed and deleted with everything in them; a CSV file is imported
// into the time series (see ImportCsv). Uploads end with the page (the browser asks
// before a tab with uploads under way is closed).
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { save } from "../drive/transfer";
import { limiter } from "../drive/limiter";
import { upload, UploadFailed } from "../drive/upload";
import { perGroup } from "../groups";
import { fill, type Language } from "../i18n";
import type { Messages } from "../i18n/en";
import { formatTime } from "../time";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { ImportCsv } from "./ImportCsv";
import { Problem } from "../ui/Problem";
import { usePages } from "../ui/usePages";
import { formatBytes } from "../values";
import { useFocusOn } from "../ui/focus";
import { TableHead } from "../ui/TableHead";

type File = Schemas["FileEntry"];
type Sort = "name" | "size" | "time";
type Props = { words: Messages; language: Language; timeZone: string };
/** An upload under way or just ended, as its row shows it. */
type Transfer = {
  key: number;
  name: string;
  size: number;
  sent: number;
  /** Stored but not yet listed: the cloud indexes a large file for a while. */
  state: "waiting" | "sending" | "indexing" | "done" | "stored" | "failed";
  /** Why it failed, in the API's words where it gave some. */
  reason?: string;
};

/** Uploads under way at once. */
const UPLOADS_AT_ONCE = 2;
/** How often an uploaded file is looked for in the index, and for how long: a minute,
 * and a minute more for each 100 MB the cloud reads through for its SHA-256. */
const INDEX_POLL_MS = 1_000;
const INDEX_WAIT_MS = 60_000;
const INDEX_WAIT_MS_PER_BYTE = 60_000 / 100_000_000;

export const Drive = perGroup(GroupDrive);

function GroupDrive({ group, words, language, timeZone }: Props & { group: string }) {
  const [folder, setFolder] = useState("");
  const [sort, setSort] = useState<Sort>("name");
  const [descending, setDescending] = useState(false);
  const [folders, setFolders] = useState<string[]>([]);
  // Bumped to read the folder's first page again (after a change).
  const [reading, setReading] = useState(0);
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  const [doomed, setDoomed] = useState<string | null>(null);
  const [moving, setMoving] = useState<File | null>(null);
  // The CSV file being imported into the time series, and the group's apps to import into.
  const [importing, setImporting] = useState<File | null>(null);
  const [apps, setApps] = useState<Schemas["AppView"][]>([]);
  const [busy, setBusy] = useState(false);
  const uploads = useRef(new AbortController());
  const lanes = useRef(limiter(UPLOADS_AT_ONCE));
  const busyUploading = transfers.some((t) => ["waiting", "sending", "indexing"].includes(t.state));
  const movingName = useFocusOn<HTMLInputElement>(moving?.id);
  const time = (millis: number) => formatTime(millis, language, timeZone);
  const reread = () => setReading((n) => n + 1);

  // Uploads under way stop when the page is left (or another group chosen); closing the
  // tab meanwhile is asked about first.
  useEffect(() => {
    if (!importing) return;
    let live = true;
    api
      .GET("/v1/groups/{group}/apps", { params: { path: { group } } })
      .then(({ data }) => live && setApps(data?.apps ?? []))
      .catch(() => live && setApps([]));
    return () => {
      live = false;
    };
  }, [importing, group]);

  useEffect(() => () => uploads.current.abort(), []);
  useEffect(() => {
    if (!busyUploading) return;
    const ask = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", ask);
    return () => window.removeEventListener("beforeunload", ask);
  }, [busyUploading]);

  const {
    items: files,
    next,
    more,
    busy: paging,
    problem,
    setProblem,
  } = usePages(
    async (cursor) => {
      const { data, error } = await api.GET("/v1/groups/{group}/files", {
        params: {
          path: { group },
          query: { folder, sort, order: descending ? "desc" : "asc", ...(cursor ? { cursor } : {}) },
        },
      });
      if (!data) throw new Error(error?.message ?? words.unavailable);
      return { items: data.files, next: data.next, folders: data.folders ?? [] };
    },
    [folder, sort, descending, reading],
    (first) => setFolders(first.folders),
  );

  function open(path: string) {
    setFolder(path);
    setFolders([]);
    setProblem(null);
    setDoomed(null);
    setMoving(null);
  }

  /** Runs a change; a failure to reach the service is told like a refusal. */
  async function act(change: () => Promise<void>) {
    try {
      await change();
    } catch {
      setProblem(words.unavailable);
    }
  }

  function uploadAll(chosen: FileList | null) {
    for (const file of Array.from(chosen ?? [])) void uploadOne(file, folder);
  }

  async function uploadOne(file: globalThis.File, into: string) {
    const key = Math.random();
    const change = (part: Partial<Transfer>) =>
      setTransfers((all) => all.map((transfer) => (transfer.key === key ? { ...transfer, ...part } : transfer)));
    // The API takes no empty file (a PUT carries at least a byte): told here, in words.
    if (file.size === 0) {
      const reason = words.emptyFile;
      setTransfers((all) => [...all, { key, name: file.name, size: 0, sent: 0, state: "failed", reason }]);
      return;
    }
    setTransfers((all) => [...all, { key, name: file.name, size: file.size, sent: 0, state: "waiting" }]);
    const signal = uploads.current.signal;
    try {
      await lanes.current(async () => {
        if (signal.aborted) return;
        change({ state: "sending" });
        const id = await upload(group, into, file, (sent) => change({ sent }), signal);
        change({ state: "indexing" });
        change({ state: (await indexed(id, file.size, signal)) ? "done" : "stored" });
        reread();
      });
    } catch (failure) {
      if (signal.aborted) return;
      change({ state: "failed", reason: whyNot(failure as Error, words) });
    }
  }

  /** Whether the cloud indexed file `id` of `size` bytes within the wait for its size. */
  async function indexed(id: string, size: number, signal: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + INDEX_WAIT_MS + size * INDEX_WAIT_MS_PER_BYTE;
    while (!signal.aborted && Date.now() < deadline) {
      const { response } = await api.GET("/v1/groups/{group}/files/{file}", {
        params: { path: { group, file: id } },
        signal,
      });
      if (response.ok) return true;
      await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS));
    }
    return false;
  }

  const download = (file: File) =>
    act(async () => {
      const { data, error } = await api.GET("/v1/groups/{group}/files/{file}", {
        params: { path: { group, file: file.id } },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setProblem(null);
      save(data.download);
    });

  async function removeFile(file: File) {
    if (busy) return;
    setBusy(true);
    await act(async () => {
      const { data, error } = await api.DELETE("/v1/groups/{group}/files/{file}", {
        params: { path: { group, file: file.id } },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setProblem(null);
      reread();
    });
    setDoomed(null);
    setBusy(false);
  }

  async function removeFolder(path: string) {
    if (busy) return;
    setBusy(true);
    await act(async () => {
      // A large folder is deleted a batch of files per request: asked again until none
      // is left, as long as each request deletes some.
      for (let left = Infinity; ; ) {
        const { data, error } = await api.POST("/v1/groups/{group}/folders/delete", {
          params: { path: { group } },
          body: { path },
        });
        if (!data) return setProblem(error?.message ?? words.unavailable);
        if (data.left === 0) break;
        if (data.left >= left) return setProblem(words.unavailable);
        left = data.left;
      }
      open(parentOf(path));
      reread();
    });
    setBusy(false);
    setDoomed(null);
  }

  async function makeFolder(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = new FormData(form).get("name")?.toString().trim() ?? "";
    await act(async () => {
      const { data, error } = await api.POST("/v1/groups/{group}/folders", {
        params: { path: { group } },
        body: { path: join(folder, name) },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setProblem(null);
      form.reset();
      reread();
    });
  }

  async function renameFolder(event: Event) {
    event.preventDefault();
    const to = new FormData(event.currentTarget as HTMLFormElement).get("to")?.toString().trim() ?? "";
    await act(async () => {
      const { data, error } = await api.POST("/v1/groups/{group}/folders/move", {
        params: { path: { group } },
        body: { from: folder, to, merge: false },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      open(data.to);
      reread();
    });
  }

  async function place(event: Event) {
    event.preventDefault();
    if (!moving) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const name = form.get("name")?.toString() ?? moving.name;
    const into = form.get("folder")?.toString().trim() ?? moving.folder;
    await act(async () => {
      const { data, error } = await api.PUT("/v1/groups/{group}/files/{file}", {
        params: { path: { group, file: moving.id } },
        body: {
          ...(name !== moving.name ? { name } : {}),
          ...(into !== moving.folder ? { folder: into } : {}),
        },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setProblem(null);
      setMoving(null);
      reread();
    });
  }

  const trail = folder === "" ? [] : folder.split("/");

  return (
    <div class="drive">
      <nav aria-label={words.folderPath} class="trail">
        <button type="button" class="quiet" aria-current={folder === "" ? "location" : undefined} onClick={() => open("")}>
          {words.topFolder}
        </button>
        {trail.map((name, index) => {
          const path = trail.slice(0, index + 1).join("/");
          return (
            <span key={path}>
              {" / "}
              <button
                type="button"
                class="quiet"
                aria-current={path === folder ? "location" : undefined}
                onClick={() => open(path)}
              >
                {name}
              </button>
            </span>
          );
        })}
      </nav>
      <Problem text={problem} />

      <div class="toolbar">
        <label class="button">
          {words.uploadFiles}
          <input type="file" multiple class="visually-hidden" onChange={(event) => {
            uploadAll(event.currentTarget.files);
            event.currentTarget.value = "";
          }} />
        </label>
        <form class="inline" onSubmit={makeFolder}>
          <label>
            {words.newFolder}
            <input name="name" required />
          </label>
          <button type="submit">{words.makeFolder}</button>
        </form>
        <label>
          {words.sortBy}
          <select onChange={(event) => setSort(event.currentTarget.value as Sort)}>
            {(["name", "size", "time"] as const).map((option) => (
              <option key={option} value={option} selected={option === sort}>
                {words[`sort_${option}`]}
              </option>
            ))}
          </select>
        </label>
        <label class="pick">
          <input type="checkbox" checked={descending} onChange={(event) => setDescending(event.currentTarget.checked)} />
          {words.descending}
        </label>
      </div>

      {transfers.length > 0 && (
        <ul class="transfers" aria-label={words.uploads} aria-live="polite">
          {transfers.map((transfer) => (
            <li key={transfer.key}>
              <TransferRow transfer={transfer} words={words} />
            </li>
          ))}
        </ul>
      )}

      {folder !== "" && (
        <div class="toolbar">
          <form class="inline" onSubmit={renameFolder}>
            <label>
              {words.folderMovesTo}
              <input name="to" required defaultValue={folder} key={folder} />
            </label>
            <button type="submit">{words.renameFolder}</button>
          </form>
          <ConfirmDelete
            words={words}
            name={folder}
            asked={doomed === `folder:${folder}`}
            onAsk={() => setDoomed(`folder:${folder}`)}
            onConfirm={() => removeFolder(folder)}
            disabled={busy}
          />
        </div>
      )}

      {folders.length > 0 && (
        <ul class="folders" aria-label={words.folders}>
          {folders.map((name) => (
            <li key={name}>
              <button type="button" class="quiet" onClick={() => open(join(folder, name))}>
                <span aria-hidden="true">📁 </span>
                {name}
              </button>
            </li>
          ))}
        </ul>
      )}

      {files === null && !problem && <p role="status">{words.loading}</p>}
      {files?.length === 0 && folders.length === 0 && <p>{words.noFiles}</p>}
      {files && files.length > 0 && (
        <table class="files">
          <caption class="visually-hidden">{words.files}</caption>
          <TableHead columns={[words.name, words.size, words.uploaded, words.uploader]} actions={words.actions} />
          <tbody>
            {files.map((file) => (
              <tr key={file.id} data-file={file.name}>
                <th scope="row">{file.name}</th>
                <td class="number">{formatBytes(file.size, language)}</td>
                <td>{time(file.uploaded)}</td>
                <td>{file.uploader}</td>
                <td class="buttons">
                  <button
                    type="button"
                    class="quiet"
                    aria-label={fill(words.downloadNamed, { name: file.name })}
                    onClick={() => download(file)}
                  >
                    {words.download}
                  </button>
                  <button
                    type="button"
                    class="quiet"
                    aria-label={fill(words.moveNamed, { name: file.name })}
                    onClick={() => setMoving(file)}
                  >
                    {words.move}
                  </button>
                  {isCsv(file) && (
                    <button
                      type="button"
                      class="quiet"
                      aria-label={fill(words.importNamed, { name: file.name })}
                      onClick={() => setImporting(file)}
                    >
                      {words.importCsv}
                    </button>
                  )}
                  <ConfirmDelete
                    words={words}
                    name={file.name}
                    asked={doomed === file.id}
                    onAsk={() => setDoomed(file.id)}
                    onConfirm={() => removeFile(file)}
                    disabled={busy}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" class="quiet" onClick={more} disabled={paging}>
          {words.more}
        </button>
      )}

      {moving && (
        <form class="editor" onSubmit={place} key={moving.id} aria-labelledby="moving-heading">
          <h2 id="moving-heading">{fill(words.moveNamed, { name: moving.name })}</h2>
          <label>
            {words.name}
            <input name="name" required defaultValue={moving.name} ref={movingName} />
          </label>
          <label>
            {words.inFolder}
            <input name="folder" defaultValue={moving.folder} />
          </label>
          <div class="buttons">
            <button type="submit">{words.save}</button>
            <button type="button" class="quiet" onClick={() => setMoving(null)}>
              {words.cancel}
            </button>
          </div>
        </form>
      )}
      {importing && (
        <ImportCsv
          key={importing.id}
          group={group}
          file={importing}
          apps={apps}
          words={words}
          onClose={() => setImporting(null)}
        />
      )}
    </div>
  );
}

/** A file the import takes: CSV by its type or, as browsers often upload one, its name. */
function isCsv(file: File): boolean {
  return file.content_type.split(";")[0].trim().toLowerCase() === "text/csv" || /\.csv$/i.test(file.name);
}

function TransferRow({ transfer, words }: { transfer: Transfer; words: Messages }) {
  const percent = transfer.size === 0 ? 100 : Math.floor((transfer.sent / transfer.size) * 100);
  const name = transfer.name;
  const told = {
    waiting: () => fill(words.uploadWaiting, { name }),
    sending: () => fill(words.uploading, { name, percent }),
    indexing: () => fill(words.indexing, { name }),
    done: () => fill(words.uploadDone, { name }),
    stored: () => fill(words.uploadStored, { name }),
    failed: () => fill(words.uploadFailed, { name, reason: transfer.reason ?? "" }),
  }[transfer.state]();
  return (
    <>
      <progress max={transfer.size || 1} value={transfer.sent} aria-label={name} />
      {transfer.state === "failed" ? (
        <Problem text={told} />
      ) : (
        <span data-state={transfer.state}>{told}</span>
      )}
    </>
  );
}

function whyNot(failure: Error, words: Messages): string {
  if (failure instanceof UploadFailed && failure.status !== undefined)
    return failure.status === 0 ? words.storeUnreachable : fill(words.storeRefused, { status: failure.status });
  return failure.message || words.unavailable;
}

function join(folder: string, name: string): string {
  return folder === "" ? name : `${folder}/${name}`;
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf("/");
  return cut === -1 ? "" : path.slice(0, cut);
}
