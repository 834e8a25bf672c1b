// The jobcoach's menu entries for her application, invoices and inbox (issue 13), with the unread count as
// a badge whose accessible name says it ("Berichten, 3 ongelezen"). Layout.tsx shows <CaseMenu/> for a
// jobcoach. The count is asked again when the app moves to another screen and after reading (refreshUnread).
import { useEffect } from "preact/hooks";
import { api } from "../../api/client";
import { authorized } from "../../auth";
import { useT } from "../../i18n";
import { Link } from "../../router";
import { Store, useStore } from "../../store";

/** How many of the jobcoach's messages are unread; null until known (or when messages cannot answer). */
export const unread = new Store<number | null>(null);

export async function refreshUnread(): Promise<void> {
  const answer = await authorized(() => api.GET("/api/v1/messages/unread-count"));
  unread.set(answer.ok ? (answer.data.unread ?? 0) : null);
}

export function CaseMenu({ path }: { path: string }) {
  const t = useT();
  const count = useStore(unread);
  useEffect(() => {
    void refreshUnread();
  }, [path]);
  const current = (href: string) => (path === href || path.startsWith(`${href}/`) ? "page" : undefined);
  return (
    <>
      <li>
        <Link href="/aanvraag" aria-current={current("/aanvraag")}>
          {t("case.menu")}
        </Link>
      </li>
      <li>
        <Link href="/facturen" aria-current={current("/facturen")}>
          {t("invoices.menu")}
        </Link>
      </li>
      <li>
        <Link href="/berichten" aria-current={current("/berichten")}>
          {count ? (
            <>
              <span aria-hidden="true">
                {t("inbox.menu")} <span class="case-badge">{count}</span>
              </span>
              <span class="visually-hidden">{t("inbox.menu.unread", { count })}</span>
            </>
          ) : (
            t("inbox.menu")
          )}
        </Link>
      </li>
    </>
  );
}
