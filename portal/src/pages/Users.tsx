// Users (admins only): the account's users with their role, e-mail address and second
// step; a new user (asking for the admin's own password again: a new user is a lasting
// way in); a user's role changed; a user deleted (their sessions and tokens end at once).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";

type User = Schemas["UserView"];
const ROLES: readonly Schemas["Role"][] = ["admin", "member", "viewer"];

export function Users({ words }: { words: Messages }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [doomed, setDoomed] = useState<string | null>(null);
  const [reading, setReading] = useState(0);
  // Bumped to empty the new user's form once it is created.
  const [created, setCreated] = useState(0);

  useEffect(() => {
    let live = true;
    api
      .GET("/v1/users")
      .then(({ data, error }) => {
        if (!live) return;
        setProblem(data ? null : (error?.message ?? words.unavailable));
        if (data) setUsers(data.users);
      })
      .catch(() => live && setProblem(words.unavailable));
    return () => {
      live = false;
    };
  }, [reading]);

  async function create(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get("email")).trim();
    const { data, error } = await api.POST("/v1/users", {
      body: {
        user: String(form.get("user")).trim(),
        password: String(form.get("password")),
        role: String(form.get("role")),
        email: email === "" ? null : email,
        admin_password: String(form.get("admin_password")),
      },
    });
    if (!data) return setRefusal(error?.message ?? words.unavailable);
    setRefusal(null);
    setCreated((n) => n + 1);
    setReading((n) => n + 1);
  }

  async function changeRole(user: User, role: string) {
    const { data, error } = await api.PUT("/v1/users/{user}", { params: { path: { user: user.user } }, body: { role } });
    setProblem(data ? null : (error?.message ?? words.unavailable));
    setReading((n) => n + 1);
  }

  async function remove(user: User) {
    const { data, error } = await api.DELETE("/v1/users/{user}", { params: { path: { user: user.user } } });
    setDoomed(null);
    setProblem(data ? null : (error?.message ?? words.unavailable));
    setReading((n) => n + 1);
  }

  return (
    <>
      {problem && (
        <p role="alert" class="problem">
          {problem}
        </p>
      )}
      {users === null && !problem && <p role="status">{words.loading}</p>}
      {users && (
        <table class="users">
          <thead>
            <tr>
              <th scope="col">{words.user}</th>
              <th scope="col">{words.role}</th>
              <th scope="col">{words.email}</th>
              <th scope="col">{words.secondStep}</th>
              <th scope="col">
                <span class="visually-hidden">{words.actions}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.user} data-user={user.user}>
                <th scope="row">{user.user}</th>
                <td>
                  <select
                    aria-label={fill(words.roleOf, { user: user.user })}
                    value={user.role}
                    onChange={(event) => changeRole(user, event.currentTarget.value)}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {words[`role_${role}`]}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{user.email ?? "—"}</td>
                <td>{user.two_step === "none" ? words.never : user.two_step}</td>
                <td>
                  {doomed === user.user ? (
                    <button type="button" class="danger" onClick={() => remove(user)}>
                      {fill(words.confirmDelete, { name: user.user })}
                    </button>
                  ) : (
                    <button
                      type="button"
                      class="quiet"
                      aria-label={fill(words.deleteNamed, { name: user.user })}
                      onClick={() => setDoomed(user.user)}
                    >
                      {words.delete}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="editor" key={created} onSubmit={create} aria-labelledby="new-user-heading">
        <h2 id="new-user-heading">{words.newUser}</h2>
        <label>
          {words.user}
          <input name="user" required autocomplete="off" />
        </label>
        <label>
          {words.password}
          <input name="password" type="password" required autocomplete="new-password" aria-describedby="password-rules" />
        </label>
        <p class="hint" id="password-rules">
          {words.passwordRules}
        </p>
        <label>
          {words.role}
          {/* Preact has no defaultValue for a select: the option says it is chosen. */}
          <select name="role">
            {ROLES.map((role) => (
              <option key={role} value={role} selected={role === "member"}>
                {words[`role_${role}`]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {words.emailOptional}
          <input name="email" type="email" autocomplete="off" />
        </label>
        <label>
          {words.yourPassword}
          <input name="admin_password" type="password" required autocomplete="current-password" />
        </label>
        {refusal && (
          <p role="alert" class="problem">
            {refusal}
          </p>
        )}
        <div class="buttons">
          <button type="submit">{words.createUser}</button>
        </div>
      </form>
    </>
  );
}
