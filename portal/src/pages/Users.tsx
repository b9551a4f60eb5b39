// Users (admins only): the account's users with their role, e-mail address and second
// step; a new user (asking for the admin's own password again: a new user is a lasting
// way in); a user's role changed; a user's second step turned off (for one who lost their
// authenticator: the admin's password asked again; an admin's own is turned off on their
// own login page); a user deleted (their sessions and tokens end at once).
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas } from "../api/client";
import { fill } from "../i18n";
import type { Messages } from "../i18n/en";
import { Problem } from "../ui/Problem";
import { useFocusOn } from "../ui/focus";
import { ConfirmDelete } from "../ui/ConfirmDelete";
import { useActing } from "../ui/useActing";
import { TableHead } from "../ui/TableHead";

type User = Schemas["UserView"];
/** The roles a user can have (a viewer is what a temporary login is, not a user). */
const ROLES: readonly Schemas["Role"][] = ["admin", "member"];

export function Users({ words }: { words: Messages }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  // What an action on a listed user was refused for (the last admin, say): kept when the
  // list is read again.
  const [refused, setRefused] = useState<string | null>(null);
  // Roles chosen but not applied yet, by user: a role changes only on "Apply", since it
  // ends that user's sessions.
  const [pending, setPending] = useState<Record<string, string>>({});
  const { busy, acting: sending } = useActing(words);
  // The user whose delete button asks to be pressed again, if any.
  const [doomed, setDoomed] = useState<string | null>(null);
  // The user whose second step is being turned off (the admin's password is asked), if any.
  const [unlocking, setUnlocking] = useState<string | null>(null);
  // The admin's own user: their second step goes off on their own login page, not here.
  const [me, setMe] = useState<string | null>(null);
  useEffect(() => {
    api
      .GET("/v1/me")
      .then(({ data }) => setMe(data?.user ?? null))
      .catch(() => undefined);
  }, []);
  const unlockPassword = useFocusOn<HTMLInputElement>(unlocking);
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

  /** Sends a change (one at a time); a success reads the list again. */
  async function acting(send: () => Promise<{ error?: { message: string } }>, tell: (text: string | null) => void) {
    const done = (await sending(send, tell)) !== undefined;
    if (done) setReading((n) => n + 1);
    return done;
  }

  async function create(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const email = String(form.get("email")).trim();
    const body = {
      user: String(form.get("user")).trim(),
      password: String(form.get("password")),
      role: String(form.get("role")),
      email: email === "" ? null : email,
      admin_password: String(form.get("admin_password")),
    };
    if (await acting(() => api.POST("/v1/users", { body }), setRefusal)) setCreated((n) => n + 1);
  }

  async function applyRole(user: User) {
    const role = pending[user.user];
    const applied = await acting(
      () => api.PUT("/v1/users/{user}", { params: { path: { user: user.user } }, body: { role } }),
      setRefused,
    );
    if (applied) setPending(({ [user.user]: _, ...rest }) => rest);
  }

  async function turnOffTwoStep(event: Event, user: User) {
    event.preventDefault();
    const adminPassword = String(new FormData(event.currentTarget as HTMLFormElement).get("admin_password"));
    const done = await acting(
      () =>
        api.PUT("/v1/users/{user}", {
          params: { path: { user: user.user } },
          body: { two_step: "none", admin_password: adminPassword },
        }),
      setRefused,
    );
    if (done) setUnlocking(null);
  }

  async function remove(user: User) {
    setDoomed(null);
    await acting(() => api.DELETE("/v1/users/{user}", { params: { path: { user: user.user } } }), setRefused);
  }

  return (
    <>
      <Problem text={problem} />
      {users === null && !problem && <p role="status">{words.loading}</p>}
      <Problem text={refused} />
      {users && (
        <table class="users">
          <TableHead columns={[words.user, words.role, words.email, words.secondStep]} actions={words.actions} />
          <tbody>
            {users.map((user) => (
              <tr key={user.user} data-user={user.user}>
                <th scope="row">{user.user}</th>
                <td>
                  <select
                    aria-label={fill(words.roleOf, { user: user.user })}
                    onChange={(event) => {
                      const role = event.currentTarget.value;
                      setPending(({ [user.user]: _, ...rest }) => (role === user.role ? rest : { ...rest, [user.user]: role }));
                    }}
                  >
                    {ROLES.map((role) => (
                      <option key={role} value={role} selected={role === (pending[user.user] ?? user.role)}>
                        {words[`role_${role}`]}
                      </option>
                    ))}
                  </select>
                  {pending[user.user] && (
                    <button type="button" class="quiet" disabled={busy} onClick={() => applyRole(user)}>
                      {fill(words.applyRole, { user: user.user })}
                    </button>
                  )}
                </td>
                <td>{user.email ?? "—"}</td>
                <td>
                  {words[`two_step_${user.two_step as "none" | "email" | "totp"}`] ?? user.two_step}
                  {user.two_step !== "none" &&
                    user.user !== me &&
                    (unlocking === user.user ? (
                      <form class="inline" onSubmit={(event) => turnOffTwoStep(event, user)}>
                        <label>
                          {words.yourPassword}
                          <input
                            ref={unlockPassword}
                            name="admin_password"
                            type="password"
                            required
                            autocomplete="current-password"
                          />
                        </label>
                        <button type="submit" disabled={busy}>
                          {fill(words.turnOffTwoStepOf, { user: user.user })}
                        </button>
                        <button type="button" class="quiet" onClick={() => setUnlocking(null)}>
                          {words.cancel}
                        </button>
                      </form>
                    ) : (
                      <>
                        {" "}
                        <button type="button" class="quiet" onClick={() => setUnlocking(user.user)}>
                          {fill(words.turnOffTwoStepOf, { user: user.user })}
                        </button>
                      </>
                    ))}
                </td>
                <td>
                  <ConfirmDelete
                    words={words}
                    name={user.user}
                    asked={doomed === user.user}
                    onAsk={() => setDoomed(user.user)}
                    onConfirm={() => remove(user)}
                  />
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
        <Problem text={refusal} />
        <div class="buttons">
          <button type="submit" disabled={busy}>
            {words.createUser}
          </button>
        </div>
      </form>
    </>
  );
}
