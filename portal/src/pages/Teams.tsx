// Teams (admins only): named sets of users that groups are granted to as one (see Groups
// and grants): made with their members, renamed, members added or taken out, deleted
// (the grants to the team go with it).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { Problem } from "../ui/Problem";
import { useFocusOn } from "../ui/focus";
import { useActing } from "../ui/useActing";

type Team = Schemas["TeamView"];

export function Teams({ words }: { words: Messages }) {
  const [teams, setTeams] = useState<Team[] | null>(null);
  const [users, setUsers] = useState<string[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [editing, setEditing] = useState<Team | null>(null);
  const [doomed, setDoomed] = useState<string | null>(null);
  const { busy, acting: sending } = useActing(words);
  const [reading, setReading] = useState(0);
  // Bumped to empty the new team's form once it is made.
  const [made, setMade] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([api.GET("/v1/teams"), api.GET("/v1/users")])
      .then(([teamList, userList]) => {
        if (!live) return;
        if (!teamList.data || !userList.data)
          return setProblem(teamList.error?.message ?? userList.error?.message ?? words.unavailable);
        setProblem(null);
        setTeams(teamList.data.teams);
        setUsers(userList.data.users.map((user) => user.user));
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [reading]);

  /** Sends a change (one at a time); a refusal is told, a success reads the list again. */
  async function acting(send: () => Promise<{ error?: { message: string } }>): Promise<boolean> {
    const done = (await sending(send, setRefused)) !== undefined;
    if (done) setReading((n) => n + 1);
    return done;
  }

  async function make(draft: Draft) {
    const body = { id: draft.id, name: draft.name || null, members: draft.members };
    if (await acting(() => api.POST("/v1/teams", { body }))) setMade((n) => n + 1);
  }

  async function save(team: Team, draft: Draft) {
    const body = { name: draft.name, members: draft.members };
    const saved = await acting(() => api.PUT("/v1/teams/{team}", { params: { path: { team: team.id } }, body }));
    if (saved) setEditing(null);
  }

  async function remove(team: Team) {
    setDoomed(null);
    await acting(() => api.DELETE("/v1/teams/{team}", { params: { path: { team: team.id } } }));
  }

  return (
    <>
      <Problem text={problem} />
      {teams === null && !problem && <p role="status">{words.loading}</p>}
      <Problem text={refused} />
      {teams?.length === 0 && <p>{words.noTeams}</p>}
      {teams && teams.length > 0 && (
        <ul class="alarms">
          {teams.map((team) => (
            <li key={team.id} data-team={team.id}>
              <div>
                <strong>{team.name}</strong> <small>{team.id}</small>
                <p class="hint">
                  {team.members.length === 0
                    ? words.noMembers
                    : fill(words.membersAre, { members: team.members.join(", ") })}
                </p>
              </div>
              <div class="buttons">
                <button
                  type="button"
                  class="quiet"
                  aria-label={fill(words.editNamed, { name: team.name })}
                  onClick={() => setEditing(team)}
                >
                  {words.edit}
                </button>
                <ConfirmDelete
                  words={words}
                  name={team.name}
                  asked={doomed === team.id}
                  onAsk={() => setDoomed(team.id)}
                  onConfirm={() => remove(team)}
                  disabled={busy}
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      {editing ? (
        <TeamForm
          key={editing.id}
          words={words}
          users={users}
          team={editing}
          busy={busy}
          onSave={(draft) => save(editing, draft)}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <TeamForm key={`new-${made}`} words={words} users={users} team={null} busy={busy} onSave={make} />
      )}
    </>
  );
}

type Draft = { id: string; name: string; members: string[] };

type FormProps = {
  words: Messages;
  users: string[];
  /** The team edited; none for a new one. */
  team: Team | null;
  busy: boolean;
  onSave: (draft: Draft) => void;
  onCancel?: () => void;
};

function TeamForm({ words, users, team, busy, onSave, onCancel }: FormProps) {
  const [members, setMembers] = useState<string[]>(team?.members ?? []);
  const heading = team ? fill(words.editNamed, { name: team.name }) : words.newTeam;
  // An edited team's form is taken to; the new team's, always there, is not.
  const title = useFocusOn<HTMLHeadingElement>(team?.id);

  function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    onSave({
      id: String(form.get("id") ?? team?.id ?? "").trim(),
      name: String(form.get("name") ?? "").trim(),
      members,
    });
  }

  return (
    <form class="editor" onSubmit={submit} aria-labelledby="team-heading">
      <h2 id="team-heading" tabIndex={-1} ref={title}>
        {heading}
      </h2>
      {!team && (
        <label>
          {words.teamId}
          <input name="id" required pattern="[a-z0-9][a-z0-9-]*" aria-describedby="team-id-rules" />
          <small id="team-id-rules" class="hint">
            {words.groupIdRules}
          </small>
        </label>
      )}
      <label>
        {words.name}
        <input name="name" defaultValue={team?.name ?? ""} required={team !== null} />
      </label>
      <fieldset>
        <legend>{words.members}</legend>
        {users.map((user) => (
          <label key={user} class="pick">
            <input
              type="checkbox"
              checked={members.includes(user)}
              onChange={(event) =>
                setMembers((now) =>
                  event.currentTarget.checked ? [...now, user] : now.filter((member) => member !== user),
                )
              }
            />
            {user}
          </label>
        ))}
      </fieldset>
      <div class="buttons">
        <button type="submit" disabled={busy}>
          {team ? words.save : words.createTeam}
        </button>
        {onCancel && (
          <button type="button" class="quiet" onClick={onCancel}>
            {words.cancel}
          </button>
        )}
      </div>
    </form>
  );
}
