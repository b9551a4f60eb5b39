// A CSV file of the drive imported into the time series (Pro; editors): into an
// instrument of one of the group's apps (an instrument new to the app is registered, as
// ingest would), bad lines refused or, if asked, left out and listed. The import runs in
// the cloud; its progress is followed until it ends. A line stored before (the same file
// imported again) is not stored twice.
import { useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { asJob, underWay, useJobPolling, type Job } from "../jobs";
import { useFocusOn } from "../ui/focus";
import { AppOptions } from "../ui/AppOptions";
import { Problem } from "../ui/Problem";
import { useActing } from "../ui/useActing";

type Props = {
  group: string;
  file: Schemas["FileEntry"];
  apps: Schemas["AppView"][];
  words: Messages;
  onClose: () => void;
};

export function ImportCsv({ group, file, apps, words, onClose }: Props) {
  const [job, setJob] = useState<Job | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const { busy, acting } = useActing(words);
  const heading = useFocusOn<HTMLHeadingElement>(file.id);

  async function read(id: string): Promise<Job | null> {
    const { data } = await api.GET("/v1/groups/{group}/imports/{job}", { params: { path: { group, job: id } } });
    return data ? asJob(data) : null;
  }
  useJobPolling(job, read, setJob);

  async function start(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const answer = await acting(
      () =>
        api.POST("/v1/groups/{group}/imports", {
          params: { path: { group } },
          body: {
            file: file.id,
            app: String(form.get("app") ?? ""),
            instrument: String(form.get("instrument") ?? "").trim(),
            skipBadLines: form.get("skip") === "on",
          },
        }),
      setRefusal,
    );
    if (answer?.data) setJob(asJob(answer.data));
  }

  return (
    <form class="editor" onSubmit={start} aria-labelledby="import-heading">
      <h2 id="import-heading" ref={heading} tabIndex={-1}>
        {fill(words.importNamed, { name: file.name })}
      </h2>
      <p class="hint">{words.importHelp}</p>
      {apps.length === 0 && <p class="hint">{words.importNeedsApp}</p>}
      <label>
        {words.intoApp}
        <select name="app" required>
          <AppOptions apps={apps} />
        </select>
      </label>
      <label>
        {words.intoInstrument}
        <input name="instrument" required autocomplete="off" spellcheck={false} />
      </label>
      <label class="pick">
        <input name="skip" type="checkbox" />
        {words.skipBadLines}
      </label>
      <Problem text={refusal} />
      {job && (
        <p role="status" data-state={job.state}>
          <ImportState job={job} words={words} />
        </p>
      )}
      {job?.state === "done" && (job.skippedLines ?? []).length > 0 && (
        <ul class="skipped">
          {(job.skippedLines ?? []).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      <div class="buttons">
        <button type="submit" disabled={busy || underWay(job) || apps.length === 0}>
          {words.importStart}
        </button>
        <button type="button" class="quiet" onClick={onClose}>
          {words.close}
        </button>
      </div>
    </form>
  );
}

function ImportState({ job, words }: { job: Job; words: Messages }) {
  switch (job.state) {
    case "queued":
      return <>{words.importQueued}</>;
    case "running":
      return <>{fill(words.importRunning, { percent: job.percent })}</>;
    case "failed":
      return <>{fill(words.importFailed, { reason: job.reason })}</>;
    case "done":
      return <>{fill(words.importDone, { rows: job.rows, stored: job.stored ?? 0, skipped: job.skipped ?? 0 })}</>;
  }
}
