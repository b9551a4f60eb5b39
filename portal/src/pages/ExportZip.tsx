// The viewer's channels over its range, exported as a ZIP of CSV files (times in the
// account's zone): the export runs in the cloud, its progress is polled, and the ZIP is
// downloaded from the bucket when it is ready (by a link signed at the press: each lasts
// minutes). Another choice of channels or range puts the finished export away.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client";
import { save } from "../drive/transfer";
import { asJob, underWay, useJobPolling, type Job } from "../jobs";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";

type Props = { group: string; channels: string[]; from: number; to: number; timeZone: string; words: Messages };

export function ExportZip({ group, channels, from, to, timeZone, words }: Props) {
  const [job, setJob] = useState<Job | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setJob(null);
    setProblem(null);
  }, [channels, from, to]);

  useJobPolling(job, read, setJob);

  async function read(id: string): Promise<Job | null> {
    const { data } = await api.GET("/v1/groups/{group}/exports/{job}", { params: { path: { group, job: id } } });
    return data ? asJob(data) : null;
  }

  async function download(id: string) {
    const fresh = await read(id).catch(() => null);
    if (!fresh?.download) return setProblem(fresh?.expired ? words.exportExpired : words.unavailable);
    setProblem(null);
    save(fresh.download);
  }

  async function start() {
    if (busy) return;
    setBusy(true);
    try {
      const { data, error } = await api.POST("/v1/groups/{group}/exports", {
        params: { path: { group } },
        body: { channels, from, to, timeZone },
      });
      setProblem(data ? null : (error?.message ?? words.unavailable));
      setJob(data ? asJob(data) : null);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  const running = underWay(job);
  return (
    <div class="export">
      <button type="button" onClick={start} disabled={busy || running || channels.length === 0}>
        {words.exportZip}
      </button>
      <Problem text={problem} />
      {job && (
        <p role="status" data-state={job.state}>
          <JobState job={job} words={words} />
        </p>
      )}
      {job?.state === "done" && job.download && (
        <button type="button" onClick={() => download(job.id)}>
          {words.downloadZip}
        </button>
      )}
    </div>
  );
}

function JobState({ job, words }: { job: Job; words: Messages }) {
  switch (job.state) {
    case "queued":
      return <>{words.exportQueued}</>;
    case "running":
      return <>{fill(words.exportRunning, { percent: job.percent })}</>;
    case "failed":
      return <>{fill(words.exportFailed, { reason: job.reason })}</>;
    case "done":
      return job.expired ? (
        <>{words.exportExpired}</>
      ) : (
        <>{fill(words.exportDone, { rows: job.rows, files: (job.files ?? []).join(", ") })}</>
      );
  }
}
