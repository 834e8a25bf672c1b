// The jobcoach's inbox (issue 13): her in-app messages, newest first, the unread ones marked; a message
// opened is marked read; "alles gelezen" marks them all. The menu's badge (menu.tsx) follows each change.
import { useEffect, useState } from "preact/hooks";
import { api, type Schemas, type Shown } from "../../api/client";
import { authorized } from "../../auth";
import { ProblemBox } from "../../components/forms";
import { Page } from "../../components/Layout";
import { useLoad } from "../../components/useLoad";
import { formatDate, useT } from "../../i18n";
import { Link, usePlace } from "../../router";
import { refreshUnread } from "./menu";
import "./case.css";

type Message = Schemas["InboxMessage"];

export function InboxScreen() {
  const t = useT();
  const { data, problem, reload } = useLoad(() =>
    authorized(() => api.GET("/api/v1/messages", { params: { query: { page_size: 100 } } })),
  );
  const [failed, setFailed] = useState<Shown | null>(null);
  const [status, setStatus] = useState("");
  const items = data?.items ?? [];
  const unreadCount = items.filter((m) => !m.read).length;
  const readAll = async () => {
    const answer = await authorized(() => api.POST("/api/v1/messages/read-all"));
    setFailed(answer.ok ? null : answer.problem);
    if (answer.ok) {
      setStatus(t("inbox.all_read"));
      reload();
      void refreshUnread();
    }
  };
  return (
    <Page title={t("inbox.title")}>
      <ProblemBox problem={problem ?? failed} />
      {!data ? (
        !problem && <p aria-busy="true">{t("app.loading")}</p>
      ) : items.length === 0 ? (
        <p>{t("inbox.none")}</p>
      ) : (
        <>
          <p data-field="unread">{t("inbox.unread", { count: unreadCount })}</p>
          {unreadCount > 0 && (
            <p>
              <button type="button" class="button" onClick={() => void readAll()}>
                {t("inbox.read_all")}
              </button>
            </p>
          )}
          <ul class="case-messages">
            {items.map((message) => (
              <MessageItem key={message.id} message={message} />
            ))}
          </ul>
        </>
      )}
      <p class="small" role="status">
        {status}
      </p>
    </Page>
  );
}

function MessageItem({ message }: { message: Message }) {
  const t = useT();
  const unread = !message.read;
  return (
    <li class={unread ? "case-message case-unread" : "case-message"} data-message={message.id} data-unread={unread ? "true" : "false"}>
      <Link href={`/berichten/bericht?id=${encodeURIComponent(message.id ?? "")}`}>
        {unread && <span class="case-new">{t("inbox.new")}: </span>}
        {message.subject}
      </Link>
      <span class="small">{formatDate(message.created_at ?? "")}</span>
    </li>
  );
}

/** One message: read from the API, then marked read (the badge follows). */
export function MessageScreen() {
  const t = useT();
  const { query } = usePlace();
  const id = query.get("id") ?? "";
  const { data, problem } = useLoad(() =>
    authorized(() => api.GET("/api/v1/messages/{message_id}", { params: { path: { message_id: id } } })),
  );
  useEffect(() => {
    if (!data || data.read) return;
    void authorized(() => api.POST("/api/v1/messages/{message_id}/read", { params: { path: { message_id: id } } })).then(() =>
      refreshUnread(),
    );
  }, [data]);
  return (
    <Page title={data?.subject ?? t("inbox.title")}>
      <p>
        <Link href="/berichten">{t("inbox.back")}</Link>
      </p>
      <ProblemBox problem={problem} />
      {data ? (
        <>
          <p class="small">{t("inbox.received", { date: formatDate(data.created_at ?? "") })}</p>
          <div class="case-text case-body" data-field="body">
            {data.body_text}
          </div>
        </>
      ) : (
        !problem && <p aria-busy="true">{t("app.loading")}</p>
      )}
    </Page>
  );
}
