// Groups and grants (admins only): the account's measurement groups, a new one, and who
// may see (viewer) or also set up (editor) each: users and teams, the whole list saved
// at once as the API takes it.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";

type Grant = Schemas["GrantView"];
const GROUP_ROLES: readonly Schemas["GroupRole"][] = ["viewer", "editor"];

/** A grantee as the add form's choice names it: `user:ID` or `team:ID`. */
const grantee = (grant: Grant) => ("user" in grant ? `user:${grant.user}` : `team:${grant.team}`);

export function Groups({ words }: { words: Messages }) {
  const [groups, setGroups] = useState<Schemas["GroupView"][] | null>(null);
  const [users, setUsers] = useState<Schemas["UserView"][]>([]);
  const [teams, setTeams] = useState<Schemas["TeamView"][]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [reading, setReading] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([api.GET("/v1/groups"), api.GET("/v1/users"), api.GET("/v1/teams")])
      .then(([groupList, userList, teamList]) => {
        if (!live) return;
        if (!groupList.data || !userList.data || !teamList.data) return setProblem(words.unavailable);
        setProblem(null);
        setGroups(groupList.data.groups);
        setUsers(userList.data.users);
        setTeams(teamList.data.teams);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [reading]);

  async function create(event: Event) {
    event.preventDefault();
    const formElement = event.currentTarget as HTMLFormElement;
    const form = new FormData(formElement);
    const { data, error } = await api.POST("/v1/groups", {
      body: { id: String(form.get("id")).trim(), name: String(form.get("name")).trim() },
    });
    if (!data) return setRefusal(error?.message ?? words.unavailable);
    setRefusal(null);
    formElement.reset();
    setReading((n) => n + 1);
  }

  return (
    <>
      <Problem text={problem} />
      {groups === null && !problem && <p role="status">{words.loading}</p>}
      {groups?.map((group) => (
        <GroupGrants key={group.id} group={group} users={users} teams={teams} words={words} />
      ))}
      <form class="editor" onSubmit={create} aria-labelledby="new-group-heading">
        <h2 id="new-group-heading">{words.newGroup}</h2>
        <label>
          {words.groupId}
          <input name="id" required autocomplete="off" aria-describedby="group-id-rules" />
        </label>
        <p class="hint" id="group-id-rules">
          {words.groupIdRules}
        </p>
        <label>
          {words.name}
          <input name="name" required autocomplete="off" />
        </label>
        <Problem text={refusal} />
        <div class="buttons">
          <button type="submit">{words.createGroup}</button>
        </div>
      </form>
    </>
  );
}

type GroupGrantsProps = {
  group: Schemas["GroupView"];
  users: Schemas["UserView"][];
  teams: Schemas["TeamView"][];
  words: Messages;
};

function GroupGrants({ group, users, teams, words }: GroupGrantsProps) {
  const [grants, setGrants] = useState<Grant[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // One save at a time: each sends the whole list, built on the answer to the one before.
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .GET("/v1/groups/{group}/grants", { params: { path: { group: group.id } } })
      .then(({ data }) => (data ? setGrants(data.grants) : setProblem(words.unavailable)))
      .catch(() => setProblem(words.unavailable));
  }, []);

  /** Saves the group's whole list; what the API answers is what is shown. */
  async function save(next: Grant[]) {
    if (busy) return;
    setBusy(true);
    try {
      const { data, error } = await api.PUT("/v1/groups/{group}/grants", {
        params: { path: { group: group.id } },
        body: {
          grants: next.map((grant) =>
            "user" in grant ? { user: grant.user, role: grant.role } : { team: grant.team, role: grant.role },
          ),
        },
      });
      if (!data) return setProblem(error?.message ?? words.unavailable);
      setProblem(null);
      setGrants(data.grants);
    } catch {
      setProblem(words.unavailable);
    } finally {
      setBusy(false);
    }
  }

  function add(event: Event) {
    event.preventDefault();
    // The list is replaced whole: never send one built without the grants it holds.
    if (grants === null) return;
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const [kind, id] = String(form.get("who")).split(/:(.*)/s);
    const role = String(form.get("role")) as Schemas["GroupRole"];
    const added: Grant = kind === "user" ? { user: id, role } : { team: id, role };
    // A grantee already listed gets the new role instead of a second grant.
    save([...grants.filter((grant) => grantee(grant) !== grantee(added)), added]);
  }

  const nameOf = (grant: Grant) =>
    "user" in grant ? grant.user : (teams.find((team) => team.id === grant.team)?.name ?? grant.team);

  return (
    <section class="app" aria-labelledby={`grants-${group.id}`} data-group={group.id}>
      <h2 id={`grants-${group.id}`}>
        {group.name} <small>{group.id}</small>
      </h2>
      <Problem text={problem} />
      {grants?.length === 0 && <p>{words.noGrants}</p>}
      {grants && grants.length > 0 && (
        <ul class="grants">
          {grants.map((grant) => (
            <li key={grantee(grant)}>
              {"team" in grant && <span class="tag">{words.team}</span>}
              {"team" in grant && " "}
              {`${nameOf(grant)}: ${words[`group_role_${grant.role}`]} `}
              <button
                type="button"
                class="quiet"
                disabled={busy}
                onClick={() => save(grants.filter((other) => grantee(other) !== grantee(grant)))}
              >
                {fill(words.removeGrant, { name: nameOf(grant) })}
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="inline" onSubmit={add}>
        <label>
          {words.grantTo}
          <select name="who" required>
            {users
              .filter((user) => user.role !== "admin")
              .map((user) => (
                <option key={user.user} value={`user:${user.user}`}>
                  {user.user}
                </option>
              ))}
            {teams.map((team) => (
              <option key={team.id} value={`team:${team.id}`}>
                {fill(words.teamNamed, { name: team.name })}
              </option>
            ))}
          </select>
        </label>
        <label>
          {words.role}
          <select name="role">
            {GROUP_ROLES.map((role) => (
              <option key={role} value={role} selected={role === "viewer"}>
                {words[`group_role_${role}`]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={grants === null || busy}>
          {fill(words.grantIn, { group: group.name })}
        </button>
      </form>
    </section>
  );
}
