import { useEffect, useState } from "preact/hooks";
import { api, outcome, type Schemas } from "../api/client";
import { Field, ProblemBox, Submit, useSubmit } from "../components/forms";
import { Page } from "../components/Layout";
import { formatDate, useT } from "../i18n";
import { navigate, usePlace } from "../router";

type Entry = Schemas["RegisterEntry"];

/** The public register, without login: /register?q=... is a link one can share. */
export function Lookup() {
  const t = useT();
  const asked = usePlace().query.get("q") ?? "";
  const [q, setQ] = useState(asked);
  const [found, setFound] = useState<{ q: string; items: Entry[] } | null>(null);
  const search = (query: string) => outcome(() => api.GET("/api/v1/register", { params: { query: { q: query } } }));
  const form = useSubmit(
    () => search(q.trim()),
    (answer) => {
      const query = q.trim();
      setFound({ q: query, items: answer.items ?? [] });
      navigate(`/register?q=${encodeURIComponent(query)}`, { replace: true });
    },
  );

  useEffect(() => {
    // A deep link with a query searches at once.
    if (asked.trim().length >= 3) {
      void search(asked.trim()).then((answer) => {
        if (answer.ok) setFound({ q: asked.trim(), items: answer.data.items ?? [] });
      });
    }
  }, []);

  return (
    <Page title={t("lookup.title")}>
      <p>{t("lookup.intro")}</p>
      <form role="search" onSubmit={form.onSubmit} noValidate>
        <ProblemBox problem={form.problem} />
        <Field name="q" type="search" label={t("lookup.query")} value={q} onValue={setQ}
          hint={t("lookup.query.hint")} problem={form.problem} autoComplete="off" required />
        <Submit busy={form.busy}>{t("lookup.submit")}</Submit>
      </form>
      {found && (
        <section aria-labelledby="results-title" class="results">
          <h2 id="results-title">{t("lookup.results")}</h2>
          <p role="status">
            {found.items.length ? t("lookup.count", { count: found.items.length }) : t("lookup.none", { q: found.q })}
          </p>
          {found.items.length > 0 && (
            <div class="table-scroll" tabIndex={0} role="region" aria-labelledby="results-title">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("lookup.name")}</th>
                    <th scope="col">{t("lookup.number")}</th>
                    <th scope="col">{t("lookup.valid_until")}</th>
                    <th scope="col">{t("lookup.state")}</th>
                  </tr>
                </thead>
                <tbody>
                  {found.items.map((entry) => (
                    <tr key={entry.certificate_number}>
                      <td>{entry.name ?? t("lookup.unknown_name")}</td>
                      <td>{entry.certificate_number}</td>
                      <td>{entry.valid_until ? formatDate(entry.valid_until) : ""}</td>
                      <td>{entry.state === "lapsed" ? t("lookup.state.lapsed") : t("lookup.state.active")}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </Page>
  );
}
