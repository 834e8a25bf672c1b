// /beheer/medewerkers: Noloc's administrator keeps the accounts: the list (a page at a time, by role), a
// new assessor, DNV officer or administrator, disabling an account, and resetting its authenticator app.
import { useEffect, useRef, useState } from "preact/hooks";
import { type Account, api, type Schemas, type Shown } from "../../api/client";
import { authorized, session } from "../../auth";
import { Field, OtherErrors, ProblemBox, Submit, useSubmit } from "../../components/forms";
import { Page } from "../../components/Layout";
import { formatDate, type Language, useT } from "../../i18n";
import { useStore } from "../../store";
import { ROLES, roleName, STAFF_ROLES } from "./roles";
import "./account.css";

const PAGE_SIZE = 20;
type Action = "disable" | "reset";
type Pending = { account: Account; action: Action };
type Role = (typeof ROLES)[number];

export default function StaffAccounts() {
  const t = useT();
  const current = useStore(session);
  const admin = current.status === "authenticated" && (current.account.roles ?? []).includes("noloc_admin");
  const ownId = current.status === "authenticated" ? current.account.id : undefined;
  const [role, setRole] = useState<Role | "">("");
  const [shownRole, setShownRole] = useState<Role | "">("");
  const [page, setPage] = useState(1);
  const [list, setList] = useState<Schemas["AccountPage"] | null>(null);
  const [loadProblem, setLoadProblem] = useState<Shown | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState("");
  const noticeRef = useRef<HTMLParagraphElement>(null);
  const opener = useRef<HTMLElement | null>(null);

  const load = async (wanted: number, wantedRole = shownRole) => {
    const query: { page: number; page_size: number; role?: Role } = { page: wanted, page_size: PAGE_SIZE };
    if (wantedRole) query.role = wantedRole;
    const answer = await authorized(() => api.GET("/api/v1/admin/accounts", { params: { query } }));
    if (answer.ok) {
      setList(answer.data);
      setPage(wanted);
      setLoadProblem(null);
    } else {
      setLoadProblem(answer.problem);
    }
  };
  useEffect(() => {
    if (admin) void load(1);
  }, [admin]);

  const tell = (text: string) => {
    setNotice(text);
    setTimeout(() => noticeRef.current?.focus(), 0);
  };

  if (!admin) {
    return (
      <Page title={t("staff.title")}>
        <p>{t("staff.forbidden")}</p>
      </Page>
    );
  }
  const total = list?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return (
    <Page title={t("staff.title")}>
      <p class="notice done" role="status" tabIndex={-1} ref={noticeRef} hidden={!notice}>
        {notice}
      </p>
      {pending && (
        <Confirm
          pending={pending}
          onCancel={() => {
            setPending(null);
            setTimeout(() => opener.current?.focus(), 0); // back to the button that asked
          }}
          onDone={(account) => {
            setPending(null);
            tell(t(pending.action === "disable" ? "staff.done.disable" : "staff.done.reset",
              { name: account.full_name ?? account.email ?? "" }));
            void load(page);
          }}
        />
      )}
      <section aria-labelledby="staff-list" class="staff-list">
        <h2 id="staff-list">{t("staff.list")}</h2>
        <form
          class="staff-filter"
          onSubmit={(event) => {
            event.preventDefault();
            setShownRole(role);
            void load(1, role);
          }}
        >
          <label for="staff-role">{t("staff.filter")}</label>
          <select id="staff-role" value={role} onChange={(event) => setRole(event.currentTarget.value as Role | "")}>
            <option value="">{t("staff.filter.all")}</option>
            {ROLES.map((value) => (
              <option key={value} value={value}>
                {roleName(t, value)}
              </option>
            ))}
          </select>
          <button type="submit">{t("staff.filter.submit")}</button>
        </form>
        <ProblemBox problem={loadProblem} />
        {list && (
          <>
            <p>{total ? t("staff.count", { total, page, pages }) : t("staff.empty")}</p>
            {list.items && list.items.length > 0 && (
              <ul class="account-list">
                {list.items.map((account) => (
                  <AccountRow key={account.id} account={account} own={account.id === ownId}
                    onAction={(action) => {
                      opener.current = document.activeElement as HTMLElement | null;
                      setNotice(""); // the last outcome is told; this is a new question
                      setPending({ account, action });
                    }} />
                ))}
              </ul>
            )}
            {pages > 1 && (
              <nav class="actions" aria-label={t("staff.pages")}>
                <button type="button" disabled={page <= 1} onClick={() => void load(page - 1)}>
                  {t("staff.prev")}
                </button>
                <button type="button" disabled={page >= pages} onClick={() => void load(page + 1)}>
                  {t("staff.next")}
                </button>
              </nav>
            )}
          </>
        )}
      </section>
      <NewStaff
        onCreated={(account) => {
          tell(t("staff.new.done", { name: account.full_name ?? account.email ?? "" }));
          setShownRole("");
          setRole("");
          void load(Math.max(1, Math.ceil((total + 1) / PAGE_SIZE)), "");
        }}
      />
    </Page>
  );
}

/** One account: who, which role, its state, and what the administrator can do with it. A list of cards
 * rather than a table, so that it reads well at 360 px. */
function AccountRow({ account, own, onAction }: {
  account: Account;
  own: boolean;
  onAction: (action: Action) => void;
}) {
  const t = useT();
  const name = account.full_name || account.email || "";
  const states = [
    account.disabled ? t("staff.state.disabled") : t("staff.state.active"),
    account.locked_until && new Date(account.locked_until) > new Date()
      ? t("staff.state.locked", { until: formatDate(account.locked_until) })
      : "",
    account.totp_enrolled ? "" : t("staff.state.no_2fa"),
    account.email_verified === false ? t("staff.state.unverified") : "",
  ].filter(Boolean);
  return (
    <li class="account-card" data-account={account.email}>
      <p class="account-name">{name}</p>
      <dl>
        <dt>{t("staff.col.email")}</dt>
        <dd>{account.email}</dd>
        <dt>{t("staff.col.roles")}</dt>
        <dd>{(account.roles ?? []).map((role) => roleName(t, role)).join(", ")}</dd>
        <dt>{t("staff.col.state")}</dt>
        <dd data-field="state">{states.join(" · ")}</dd>
      </dl>
      <div class="actions">
        {!account.disabled && !own && (
          <button type="button" onClick={() => onAction("disable")}>
            {t("staff.disable")}
            <span class="visually-hidden">: {name}</span>
          </button>
        )}
        {account.totp_enrolled && !own && (
          <button type="button" onClick={() => onAction("reset")}>
            {t("staff.reset")}
            <span class="visually-hidden">: {name}</span>
          </button>
        )}
      </div>
    </li>
  );
}

/** Asked once more before an action that locks someone out, with a reason for the log. */
function Confirm({ pending, onCancel, onDone }: {
  pending: Pending;
  onCancel: () => void;
  onDone: (account: Account) => void;
}) {
  const t = useT();
  const { account, action } = pending;
  const name = account.full_name || account.email || "";
  const [reason, setReason] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [account.id, action]);
  const id = account.id ?? "";
  const body = { reason: reason.trim() || null };
  const form = useSubmit(
    () =>
      authorized(() =>
        action === "disable"
          ? api.POST("/api/v1/admin/accounts/{account_id}/disable", { params: { path: { account_id: id } }, body })
          : api.POST("/api/v1/admin/accounts/{account_id}/totp-reset", { params: { path: { account_id: id } }, body }),
      ),
    onDone,
  );
  return (
    <section class="confirm" aria-labelledby="confirm-title">
      <h2 id="confirm-title" tabIndex={-1} ref={heading}>
        {t(action === "disable" ? "staff.confirm.disable" : "staff.confirm.reset", { name })}
      </h2>
      <p>{t(action === "disable" ? "staff.confirm.disable.text" : "staff.confirm.reset.text", { name })}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="reason" label={t("staff.reason")} value={reason} onValue={setReason} problem={form.problem} />
        <OtherErrors problem={form.problem} shown={["reason"]} />
        <div class="actions">
          <Submit busy={form.busy}>{t("staff.confirm")}</Submit>
          <button type="button" onClick={onCancel}>
            {t("staff.cancel")}
          </button>
        </div>
      </form>
    </section>
  );
}

type StaffDraft = { name: string; email: string; role: (typeof STAFF_ROLES)[number]; lang: Language };
const DRAFT = "recert.draft.staff";
const EMPTY: StaffDraft = { name: "", email: "", role: "assessor", lang: "nl" };

/** The new account's draft (never its password) survives a reload or a closed tab in this tab's storage. */
function readDraft(): StaffDraft {
  try {
    return { ...EMPTY, ...(JSON.parse(sessionStorage.getItem(DRAFT) ?? "{}") as Partial<StaffDraft>) };
  } catch {
    return EMPTY;
  }
}

function keepDraft(draft: StaffDraft): void {
  try {
    if (draft.name || draft.email) sessionStorage.setItem(DRAFT, JSON.stringify(draft));
    else sessionStorage.removeItem(DRAFT);
  } catch {
    // storage refused: the draft lives as long as the screen
  }
}

function NewStaff({ onCreated }: { onCreated: (account: Account) => void }) {
  const t = useT();
  const [draft, setDraft] = useState(readDraft);
  const [password, setPassword] = useState("");
  const { name, email, role, lang } = draft;
  // Kept as each key is typed (not after the next paint): a tab closed right away loses nothing.
  const change = (patch: Partial<StaffDraft>) => {
    const next = { ...draft, ...patch };
    keepDraft(next);
    setDraft(next);
  };
  const setName = (value: string) => change({ name: value });
  const setEmail = (value: string) => change({ email: value });
  const setRole = (value: StaffDraft["role"]) => change({ role: value });
  const setLang = (value: Language) => change({ lang: value });
  const form = useSubmit(
    () =>
      authorized(() =>
        api.POST("/api/v1/admin/accounts", {
          body: { full_name: name.trim(), email: email.trim(), password, roles: [role], preferred_language: lang },
        }),
      ),
    (account) => {
      change({ name: "", email: "" });
      setPassword("");
      onCreated(account);
    },
  );
  return (
    <section aria-labelledby="staff-new" class="staff-new">
      <h2 id="staff-new">{t("staff.new")}</h2>
      <p>{t("staff.new.intro")}</p>
      <form onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="full_name" label={t("staff.new.name")} value={name} onValue={setName} problem={form.problem}
          autoComplete="off" required />
        <Field name="email" type="email" label={t("staff.new.email")} value={email} onValue={setEmail}
          problem={form.problem} autoComplete="off" required />
        <Field name="password" type="password" label={t("staff.new.password")} value={password}
          onValue={setPassword} hint={t("reset.password.hint")} problem={form.problem} autoComplete="new-password"
          minLength={12} required />
        <fieldset class="choice">
          <legend>{t("staff.new.role")}</legend>
          {STAFF_ROLES.map((value) => (
            <label key={value}>
              <input type="radio" name="role" value={value} checked={role === value} onChange={() => setRole(value)} />
              {roleName(t, value)}
            </label>
          ))}
        </fieldset>
        <fieldset class="choice">
          <legend>{t("staff.new.language")}</legend>
          {(["nl", "en"] as const).map((value) => (
            <label key={value} lang={value}>
              <input type="radio" name="staff_language" value={value} checked={lang === value}
                onChange={() => setLang(value)} />
              {t(`language.${value}`)}
            </label>
          ))}
        </fieldset>
        <OtherErrors problem={form.problem} shown={["full_name", "email", "password"]} />
        <Submit busy={form.busy}>{t("staff.new.submit")}</Submit>
      </form>
    </section>
  );
}
