// Who a person is, as the login and a password reset ask it: account and user ID, or a
// Trial's e-mail address; the first field takes the focus its page gives it.
import type { Ref } from "preact";
import type { Messages } from "../i18n/en";

type Props = { words: Messages; byEmail: boolean; first: Ref<HTMLInputElement> };

export function WhoFields({ words, byEmail, first }: Props) {
  if (byEmail)
    return (
      <label>
        {words.emailAddress}
        <input ref={first} name="email" type="email" autocomplete="username" required />
      </label>
    );
  return (
    <>
      <label>
        {words.account}
        <input ref={first} name="account" autocomplete="organization" required />
      </label>
      <label>
        {words.user}
        <input name="user" autocomplete="username" required />
      </label>
    </>
  );
}

/** The fields' values as the API's login and reset take them. */
export function who(form: FormData, byEmail: boolean) {
  const field = (name: string) => String(form.get(name) ?? "").trim();
  return byEmail ? { email: field("email") } : { account: field("account"), user: field("user") };
}
